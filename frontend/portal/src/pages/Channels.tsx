import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';

import { AdminOnly } from '../components/AdminOnly';
import { ConfirmAction } from '../components/ConfirmAction';
import { errorOn, Field } from '../components/Field';
import { Layout } from '../components/Layout';
import { Empty, ErrorNotice, firstError, Loading } from '../components/States';
import { tenantDownload } from '../downloads';
import { locale } from '../format';
import type { ChannelsQuery as ChannelsResult, RegisterNfcTagMutation as Registered } from '../gql/graphql';
import {
  ChannelsQuery, ChannelStoresQuery, CreateChannelCodeMutation, InviteShoppersMutation, RegisterKioskMutation,
  RegisterNfcTagMutation, RetireKioskMutation, RetireNfcTagMutation, RetireSurveyCodeMutation,
} from '../graphql/channels';
import { LANGUAGE_NAMES, LANGUAGES } from '../i18n';
import { useSession } from '../session';

type Errors = readonly { code: string; message: string; field?: string | null }[];
type MadeTag = NonNullable<Registered['registerNfcTag']['tag']>;
type Zone = { id: string; name: string };
/** Where new codes, tags, kiosks and invitations go: a store and, optionally, one of its zones. */
type Place = { storeId: string; zoneId: string | null; zones: readonly Zone[] };

/** Addresses per `inviteShoppers` call of a CSV import (the API takes up to 1000): small enough to show progress. */
export const IMPORT_BATCH = 200;

/** The rows of a CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF), a byte-order mark ignored. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const source = text.replace(/^\ufeff/, '');
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && source[i + 1] === '\n') {
        i += 1;
      }
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The addresses of a CSV file, as `pejling invite` reads them (core/surveys/invitation_import.py): the `column`
 * of a file with that header, else the first column of every row; each address once (trimmed, case ignored). */
export function csvAddresses(text: string, column = 'email'): string[] {
  const rows = csvRows(text);
  if (rows.length === 0) {
    return [];
  }
  const header = rows[0].map((cell) => cell.trim().toLowerCase());
  const named = header.indexOf(column.trim().toLowerCase());
  const [index, body] = named >= 0 ? [named, rows.slice(1)] : [0, rows];
  const seen = new Set<string>();
  const addresses: string[] = [];
  for (const row of body) {
    const address = (row[index] ?? '').trim();
    if (address && !seen.has(address.toLowerCase())) {
      seen.add(address.toLowerCase());
      addresses.push(address);
    }
  }
  return addresses;
}

function useDateFormat() {
  const { i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(locale(i18n.language), { dateStyle: 'medium', timeStyle: 'short' });
  return (value: string | null | undefined) => (value ? format.format(new Date(value)) : null);
}

function zoneName(zones: readonly Zone[], zoneId: string | null | undefined, whole: string): string {
  return zones.find((z) => z.id === zoneId)?.name ?? whole;
}

/** A read-only text to copy (a payload, a token), selected on focus. */
function CopyField({ label, value, name }: { label: string; value: string; name: string }) {
  return <Field label={label} name={name} readOnly value={value} className="payload-input" spellCheck={false}
    autoComplete="off" onFocus={(e) => e.target.select()} />;
}

function QrPosters({ place, codes, onChanged }: {
  place: Place; codes: ChannelsResult['surveyCodes']; onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { tenantSlug } = useSession();
  const when = useDateFormat();
  const [campaign, setCampaign] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [made, setMade] = useState<string | null>(null);
  const [creating, create] = useMutation(CreateChannelCodeMutation);
  const [, retire] = useMutation(RetireSurveyCodeMutation);
  const [retireError, setRetireError] = useState<string | null>(null);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    setMade(null);
    const result = await create({ storeId: place.storeId, zoneId: place.zoneId, campaign: campaign.trim() || null });
    const payload = result.data?.createSurveyCode;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.surveyCode) {
      setMade(payload.surveyCode.code);
      setCampaign('');
      onChanged();
    }
  };
  const onRetire = async (id: string) => {
    const result = await retire({ id });
    setRetireError(result.error ? t('state.error') : firstError(result.data?.retireSurveyCode.errors));
    onChanged();
  };
  const general = errors.find((e) => e.field !== 'campaign');
  return (
    <section className="card wide" aria-labelledby="qr-title">
      <h2 id="qr-title">{t('channels.qrTitle')}</h2>
      <p className="hint">{t('channels.qrIntro')}</p>
      {retireError && <ErrorNotice message={retireError} />}
      {codes.length === 0 ? <Empty><p>{t('channels.qrEmpty')}</p></Empty> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('channels.code')}</th><th scope="col">{t('channels.zone')}</th>
              <th scope="col">{t('channels.campaign')}</th><th scope="col">{t('channels.scans')}</th>
              <th scope="col">{t('channels.downloads')}</th><th scope="col"><span className="visually-hidden">{t('channels.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {codes.map((code) => (
              <tr key={code.id}>
                <td><code>{code.code}</code> <span className="hint">{when(code.createdAt)}</span></td>
                <td>{zoneName(place.zones, code.zoneId, t('channels.wholeStore'))}</td>
                <td>{code.campaign || '—'}</td>
                <td>{code.scans}</td>
                <td>
                  <ul className="downloads">
                    {([['svgUrl', 'qrSvg'], ['pngUrl', 'qrPng'], ['posterA4Url', 'posterA4'], ['posterA5Url', 'posterA5']] as const)
                      .map(([field, text]) => (
                        <li key={field}>
                          <a href={tenantDownload(code[field], tenantSlug)} download>
                            {t(`channels.${text}`)} <span className="visually-hidden">{code.code}</span>
                          </a>
                        </li>
                      ))}
                  </ul>
                </td>
                <td>
                  <ConfirmAction label={t('channels.retire')} target={code.code}
                    question={t('channels.confirmRetireCode', { code: code.code })}
                    confirmLabel={t('channels.yesRetire')} onConfirm={() => onRetire(code.id)}>
                    <p>{t('channels.retireCodeDetail')}</p>
                  </ConfirmAction>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="inline-form" onSubmit={onSubmit} aria-labelledby="qr-new">
        <h3 id="qr-new" className="visually-hidden">{t('channels.makeCode')}</h3>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('channels.campaignOptional')} name="campaign" maxLength={80} value={campaign}
          error={errorOn(errors, 'campaign')} onChange={(e) => setCampaign(e.target.value)} />
        <button type="submit" disabled={creating.fetching}>{t('channels.makeCode')}</button>
      </form>
      <p role="status" className="hint">{made ? t('channels.codeMade', { code: made }) : ''}</p>
    </section>
  );
}

function NfcTags({ place, tags, onChanged }: { place: Place; tags: ChannelsResult['nfcTags']; onChanged: () => void }) {
  const { t } = useTranslation();
  const when = useDateFormat();
  const [label, setLabel] = useState('');
  const [sun, setSun] = useState(false);
  const [metaReadKey, setMetaReadKey] = useState('');
  const [fileReadKey, setFileReadKey] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [registered, register] = useMutation(RegisterNfcTagMutation);
  const [, retire] = useMutation(RetireNfcTagMutation);
  const [retireError, setRetireError] = useState<string | null>(null);
  const [made, setMade] = useState<MadeTag | null>(null);
  const madePanel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    madePanel.current?.querySelector('input')?.focus();
  }, [made]);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await register({
      storeId: place.storeId, zoneId: place.zoneId, label: label.trim(),
      sunKeys: sun ? { metaReadKey: metaReadKey.trim(), fileReadKey: fileReadKey.trim() } : null,
    });
    const payload = result.data?.registerNfcTag;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.tag) {
      setMade(payload.tag);
      setLabel('');
      setMetaReadKey('');
      setFileReadKey('');
      onChanged();
    }
  };
  const onRetire = async (id: string) => {
    const result = await retire({ id });
    setRetireError(result.error ? t('state.error') : firstError(result.data?.retireNfcTag.errors));
    onChanged();
  };
  const general = errors.find((e) => !['label', 'metaReadKey', 'fileReadKey'].some((f) => errorOn([e], f)));
  return (
    <section className="card" aria-labelledby="nfc-title">
      <h2 id="nfc-title">{t('channels.nfcTitle')}</h2>
      <p className="hint">{t('channels.nfcIntro')}</p>
      {retireError && <ErrorNotice message={retireError} />}
      {tags.length === 0 ? <Empty><p>{t('channels.nfcEmpty')}</p></Empty> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('channels.label')}</th><th scope="col">{t('channels.zone')}</th>
              <th scope="col">{t('channels.lastSeen')}</th><th scope="col"><span className="visually-hidden">{t('channels.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {tags.map((tag) => (
              <tr key={tag.id}>
                <td>
                  {tag.label} <span className="hint">{tag.sun ? t('channels.sunTag') : t('channels.staticTag')}</span>
                  <details>
                    <summary>{t('channels.payload')} <span className="visually-hidden">{tag.label}</span></summary>
                    <p className="hint">{t('channels.url')}</p>
                    <p className="payload">{tag.url}</p>
                    <p className="hint">{t('channels.ndefRecord')}</p>
                    <p className="payload">{tag.ndefRecord}</p>
                  </details>
                </td>
                <td>{zoneName(place.zones, tag.zoneId, t('channels.wholeStore'))}</td>
                <td>{when(tag.lastSeenAt) ?? t('channels.never')}</td>
                <td>
                  <ConfirmAction label={t('channels.retire')} target={tag.label}
                    question={t('channels.confirmRetireTag', { label: tag.label })}
                    confirmLabel={t('channels.yesRetire')} onConfirm={() => onRetire(tag.id)}>
                    <p>{t('channels.retireTagDetail')}</p>
                  </ConfirmAction>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={onSubmit} aria-labelledby="nfc-new">
        <h3 id="nfc-new">{t('channels.registerTag')}</h3>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('channels.label')} name="tagLabel" required value={label} hint={t('channels.labelHint')}
          error={errorOn(errors, 'label')} onChange={(e) => setLabel(e.target.value)} />
        <label className="choice">
          <input type="checkbox" checked={sun} onChange={(e) => setSun(e.target.checked)} />
          {t('channels.sunChoice')}
        </label>
        {sun && (
          <>
            <Field label={t('channels.metaReadKey')} name="metaReadKey" required pattern="[0-9a-fA-F]{32}"
              hint={t('channels.keyHint')} value={metaReadKey} spellCheck={false} autoComplete="off"
              error={errorOn(errors, 'metaReadKey')} onChange={(e) => setMetaReadKey(e.target.value)} />
            <Field label={t('channels.fileReadKey')} name="fileReadKey" required pattern="[0-9a-fA-F]{32}"
              hint={t('channels.keyHint')} value={fileReadKey} spellCheck={false} autoComplete="off"
              error={errorOn(errors, 'fileReadKey')} onChange={(e) => setFileReadKey(e.target.value)} />
          </>
        )}
        <button type="submit" disabled={registered.fetching}>{t('channels.registerTag')}</button>
      </form>
      {made && (
        <div className="card secret" ref={madePanel} role="region" aria-labelledby="nfc-made">
          <h3 id="nfc-made">{t('channels.tagMade', { label: made.label })}</h3>
          <p>{t('channels.writeTag')}</p>
          <CopyField label={t('channels.url')} name="tagUrl" value={made.url} />
          <CopyField label={t('channels.ndefRecord')} name="ndefRecord" value={made.ndefRecord} />
          {made.sun && made.piccDataOffset != null && made.macOffset != null && (
            <p className="hint">{t('channels.sunOffsets', { picc: made.piccDataOffset, mac: made.macOffset })}</p>
          )}
        </div>
      )}
    </section>
  );
}

function Kiosks({ place, kiosks, onChanged }: { place: Place; kiosks: ChannelsResult['kiosks']; onChanged: () => void }) {
  const { t } = useTranslation();
  const when = useDateFormat();
  const [label, setLabel] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [made, setMade] = useState<{ label: string; token: string; url: string } | null>(null);
  const [registered, register] = useMutation(RegisterKioskMutation);
  const [, retire] = useMutation(RetireKioskMutation);
  const [retireError, setRetireError] = useState<string | null>(null);
  const madePanel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    madePanel.current?.querySelector('input')?.focus();
  }, [made]);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    const result = await register({ storeId: place.storeId, zoneId: place.zoneId, label: label.trim() });
    const payload = result.data?.registerKiosk;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.kiosk && payload.token && payload.url) {
      setMade({ label: payload.kiosk.label, token: payload.token, url: payload.url });
      setLabel('');
      onChanged();
    }
  };
  const onRetire = async (id: string) => {
    const result = await retire({ id });
    setRetireError(result.error ? t('state.error') : firstError(result.data?.retireKiosk.errors));
    onChanged();
  };
  const general = errors.find((e) => e.field !== 'label');
  return (
    <section className="card" aria-labelledby="kiosk-title">
      <h2 id="kiosk-title">{t('channels.kioskTitle')}</h2>
      <p className="hint">{t('channels.kioskIntro')}</p>
      {retireError && <ErrorNotice message={retireError} />}
      {kiosks.length === 0 ? <Empty><p>{t('channels.kioskEmpty')}</p></Empty> : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('channels.label')}</th><th scope="col">{t('channels.zone')}</th>
              <th scope="col">{t('channels.lastSeen')}</th><th scope="col"><span className="visually-hidden">{t('channels.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {kiosks.map((kiosk) => (
              <tr key={kiosk.id}>
                <td>{kiosk.label}</td>
                <td>{zoneName(place.zones, kiosk.zoneId, t('channels.wholeStore'))}</td>
                <td>{when(kiosk.lastSeenAt) ?? t('channels.never')}</td>
                <td>
                  <ConfirmAction label={t('channels.revoke')} target={kiosk.label}
                    question={t('channels.confirmRevokeKiosk', { label: kiosk.label })}
                    confirmLabel={t('channels.yesRevoke')} onConfirm={() => onRetire(kiosk.id)}>
                    <p>{t('channels.revokeKioskDetail')}</p>
                  </ConfirmAction>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={onSubmit} aria-labelledby="kiosk-new">
        <h3 id="kiosk-new">{t('channels.registerKiosk')}</h3>
        {failed && <ErrorNotice />}
        {general && <ErrorNotice message={general.message} />}
        <Field label={t('channels.kioskLabel')} name="kioskLabel" required value={label} hint={t('channels.labelHint')}
          error={errorOn(errors, 'label')} onChange={(e) => setLabel(e.target.value)} />
        <button type="submit" disabled={registered.fetching}>{t('channels.registerKiosk')}</button>
      </form>
      {made && (
        <div className="card secret" ref={madePanel} role="region" aria-labelledby="kiosk-made">
          <h3 id="kiosk-made">{t('channels.kioskMade', { label: made.label })}</h3>
          <p className="warning"><strong>{t('channels.kioskOnce')}</strong></p>
          <CopyField label={t('channels.kioskUrl')} name="kioskUrl" value={made.url} />
          <CopyField label={t('channels.kioskToken')} name="kioskToken" value={made.token} />
          <button type="button" className="secondary" onClick={() => setMade(null)}>{t('channels.hide')}</button>
        </div>
      )}
    </section>
  );
}

type Outcome = { sent: number; suppressed: number; refused: { address: string; code: string }[] };

function outcomeText(t: (key: string, options?: Record<string, unknown>) => string, outcome: Outcome): string {
  return [
    t('channels.sentCount', { count: outcome.sent }),
    outcome.suppressed ? t('channels.suppressedCount', { count: outcome.suppressed }) : '',
    outcome.refused.length ? t('channels.refusedCount', { count: outcome.refused.length }) : '',
  ].filter(Boolean).join(' ');
}

function LanguageChoice({ value, onChange, id }: { value: string; onChange: (value: string) => void; id: string }) {
  const { t } = useTranslation();
  return (
    <div className="field">
      <label htmlFor={id}>{t('channels.mailLanguage')}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('channels.storeLanguage')}</option>
        {LANGUAGES.map((code) => <option key={code} value={code} lang={code}>{LANGUAGE_NAMES[code]}</option>)}
      </select>
    </div>
  );
}

function Invitations({ place }: { place: Place }) {
  const { t } = useTranslation();
  const [address, setAddress] = useState('');
  const [language, setLanguage] = useState('');
  const [errors, setErrors] = useState<Errors>([]);
  const [failed, setFailed] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [state, invite] = useMutation(InviteShoppersMutation);
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setFailed(false);
    setOutcome(null);
    const result = await invite({ storeId: place.storeId, zoneId: place.zoneId, recipients: [address.trim()],
      language: language || null });
    const payload = result.data?.inviteShoppers;
    if (result.error || !payload) {
      setFailed(true);
      return;
    }
    setErrors(payload.errors);
    if (payload.errors.length === 0) {
      setOutcome(payload);
      if (payload.sent > 0) {
        setAddress('');
      }
    }
  };
  const refusedOne = outcome?.refused[0];
  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t('channels.inviteTitle')}</h2>
      <p className="hint">{t('channels.inviteIntro')}</p>
      <form onSubmit={onSubmit}>
        {failed && <ErrorNotice />}
        {errors[0] && <ErrorNotice message={errors[0].message} />}
        <Field label={t('channels.shopperEmail')} name="shopperEmail" type="email" required value={address}
          onChange={(e) => setAddress(e.target.value)} />
        <LanguageChoice id="invite-language" value={language} onChange={setLanguage} />
        <button type="submit" disabled={state.fetching}>{t('channels.sendInvitation')}</button>
      </form>
      <p role="status">
        {outcome && outcome.sent > 0 ? t('channels.invitationSent') : ''}
        {outcome && outcome.suppressed > 0 ? t('channels.invitationSuppressed') : ''}
        {refusedOne ? t(`channels.refused.${refusedOne.code}`, { defaultValue: t('channels.refusedUnknown') }) : ''}
      </p>
    </section>
  );
}

function CsvImport({ place }: { place: Place }) {
  const { t } = useTranslation();
  const [column, setColumn] = useState('email');
  const [language, setLanguage] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [, invite] = useMutation(InviteShoppersMutation);
  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    setFile(event.target.files?.[0] ?? null);
    setProgress(null);
    setOutcome(null);
    setProblem(null);
  };
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) {
      return;
    }
    setProblem(null);
    setOutcome(null);
    const addresses = csvAddresses(await file.text(), column || 'email');
    if (addresses.length === 0) {
      setProblem(t('channels.csvNoAddresses'));
      return;
    }
    setRunning(true);
    const total: Outcome = { sent: 0, suppressed: 0, refused: [] };
    setProgress({ done: 0, total: addresses.length });
    for (let start = 0; start < addresses.length; start += IMPORT_BATCH) {
      const batch = addresses.slice(start, start + IMPORT_BATCH);
      const result = await invite({ storeId: place.storeId, zoneId: place.zoneId, recipients: batch,
        language: language || null });
      const payload = result.data?.inviteShoppers;
      if (result.error || !payload || payload.errors.length > 0) {
        // Stop at the first refused call: what was sent before it stays sent, and is said.
        setProblem(firstError(payload?.errors) ?? t('state.error'));
        break;
      }
      total.sent += payload.sent;
      total.suppressed += payload.suppressed;
      total.refused.push(...payload.refused);
      setProgress({ done: start + batch.length, total: addresses.length });
    }
    setOutcome({ ...total });
    setRunning(false);
  };
  const percent = progress && progress.total ? Math.round((progress.done / progress.total) * 100) : 0;
  return (
    <section className="card" aria-labelledby="csv-title">
      <h2 id="csv-title">{t('channels.csvTitle')}</h2>
      <p className="hint">{t('channels.csvIntro')}</p>
      <form onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor="csv-file">{t('channels.csvFile')}</label>
          <input id="csv-file" type="file" accept=".csv,text/csv,text/plain" onChange={onFile} />
        </div>
        <Field label={t('channels.csvColumn')} name="csvColumn" value={column} hint={t('channels.csvColumnHint')}
          onChange={(e) => setColumn(e.target.value)} />
        <LanguageChoice id="csv-language" value={language} onChange={setLanguage} />
        <button type="submit" disabled={running || !file}>{t('channels.csvStart')}</button>
      </form>
      {problem && <ErrorNotice message={problem} />}
      {progress && (
        <div>
          <div role="progressbar" className="progress" aria-label={t('channels.csvProgress')} aria-valuemin={0}
            aria-valuemax={100} aria-valuenow={percent} aria-valuetext={`${percent} %`}>
            <span className="progress-done" style={{ width: `${percent}%` }} />
          </div>
          <p className="hint" aria-live="polite">{t('channels.csvDone', { done: progress.done, total: progress.total })}</p>
        </div>
      )}
      <p role="status">{outcome ? outcomeText(t, outcome) : ''}</p>
      {outcome && outcome.refused.length > 0 && (
        <details>
          <summary>{t('channels.refusedList')}</summary>
          <ul>
            {outcome.refused.map((r) => (
              <li key={r.address}>{r.address}: {t(`channels.refused.${r.code}`, { defaultValue: t('channels.refusedUnknown') })}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function StoreChannels({ place }: { place: Place }) {
  const [{ data, fetching, error }, refetch] = useQuery({ query: ChannelsQuery, variables: { storeId: place.storeId } });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={reload} />;
  }
  return (
    <div className="grid channels-grid">
      <QrPosters place={place} codes={data?.surveyCodes ?? []} onChanged={reload} />
      <NfcTags place={place} tags={data?.nfcTags ?? []} onChanged={reload} />
      <Kiosks place={place} kiosks={data?.kiosks ?? []} onChanged={reload} />
      <Invitations place={place} />
      <CsvImport place={place} />
    </div>
  );
}

function Channels() {
  const { t } = useTranslation();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ChannelStoresQuery });
  const [storeId, setStoreId] = useState('');
  const [zoneId, setZoneId] = useState('');
  if (fetching && !data) {
    return <Loading />;
  }
  if (error && !data) {
    return <ErrorNotice onRetry={() => refetch({ requestPolicy: 'network-only' })} />;
  }
  const stores = data?.stores.edges.map((e) => e.node) ?? [];
  if (stores.length === 0) {
    return <Empty><p>{t('channels.noStores')}</p><p><Link to="/portal">{t('channels.addStore')}</Link></p></Empty>;
  }
  const store = stores.find((s) => s.id === storeId) ?? stores[0];
  const zone = store.zones.find((z) => z.id === zoneId);
  const place: Place = { storeId: store.id, zoneId: zone?.id ?? null, zones: store.zones };
  return (
    <>
      <p>{t('channels.intro')}</p>
      <div className="card channel-place">
        <div className="field">
          <label htmlFor="channel-store">{t('channels.store')}</label>
          <select id="channel-store" value={store.id} onChange={(e) => { setStoreId(e.target.value); setZoneId(''); }}>
            {stores.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="channel-zone">{t('channels.zoneForNew')}</label>
          <select id="channel-zone" value={zone?.id ?? ''} onChange={(e) => setZoneId(e.target.value)}>
            <option value="">{t('channels.wholeStore')}</option>
            {store.zones.map((z) => <option key={z.id} value={z.id}>{z.name}</option>)}
          </select>
        </div>
      </div>
      <StoreChannels key={store.id} place={place} />
    </>
  );
}

/** The channels of a store (owners and admins): QR posters, NFC tags, kiosk tablets and email invitations. */
export function ChannelsPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('channels.title')}>
      <AdminOnly message={t('channels.adminOnly')}><Channels /></AdminOnly>
    </Layout>
  );
}
