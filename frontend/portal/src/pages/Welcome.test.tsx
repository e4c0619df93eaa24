import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { stepToShow, surveyStepDone, WelcomePage } from './Welcome';

const AARHUS = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus', slug: 'aarhus', defaultLanguage: 'da',
  zones: [{ __typename: 'Zone', id: 'Wm9uZTox', name: 'Entrance' }] };
const FILES = 'https://api.example.com/api/survey-codes/c1';
const CODE = { __typename: 'SurveyCode', id: 'c1', code: 'K7QM4ZPX', url: 'https://api.example.com/q/K7QM4ZPX',
  zoneId: null, svgUrl: `${FILES}/qr.svg`, pngUrl: `${FILES}/qr.png`, posterA4Url: `${FILES}/poster-a4.pdf`,
  posterA5Url: `${FILES}/poster-a5.pdf` };
const TAG = { __typename: 'NfcTag', id: 'TmZjOjE=', label: 'Nordlys Aarhus poster',
  url: 'https://api.example.com/s/nordlys/aarhus?ch=nfc&tag=t1', ndefRecord: 'kQEPVQRleGFtcGxl' };
const EDITOR = { survey: { __typename: 'Survey', id: 'S1', activeVersion: { __typename: 'SurveyVersion', id: 'V1', number: 1,
  statements: [], warmups: [], questions: [] } }, statementBank: [],
stores: { __typename: 'StoreConnection', edges: [{ __typename: 'StoreEdge', node: AARHUS }] } };

const stores = (list: unknown[]) => ({ stores: { __typename: 'StoreConnection',
  edges: list.map((node) => ({ __typename: 'StoreEdge', node })) } });
const channels = (codes: unknown[] = [], tags: unknown[] = []) => ({ surveyCodes: codes, nfcTags: tags });

/** The live feed: the test sends its events. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners: Record<string, ((event: MessageEvent<string>) => void)[]> = {};
  onerror: (() => void) | null = null;
  url: string;
  constructor(url: string) {
    this.url = url;
    FakeEventSource.last = this;
  }
  addEventListener(name: string, listener: (event: MessageEvent<string>) => void) {
    (this.listeners[name] ??= []).push(listener);
  }
  emit(name: string, data: string, lastEventId = '') {
    for (const listener of this.listeners[name] ?? []) {
      listener({ data, lastEventId } as MessageEvent<string>);
    }
  }
  close() {}
}

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function renderWelcome(client: Client, at = '/portal/welcome') {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[at]}>
          <Routes><Route path="*" element={<><WelcomePage /><Where /></>} /></Routes>
        </MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const answers = (extra: Answers = {}, role = 'OWNER'): Answers => ({ Me: meAs(role), WelcomeStores: stores([AARHUS]),
  WelcomeChannels: channels(), SurveyEditor: EDITOR, ...extra });
const step = () => screen.getByTestId('welcome-step').textContent;
const progress = () => within(screen.getByRole('navigation', { name: 'Setup steps' })).getAllByRole('button');

describe('the onboarding', () => {
  beforeEach(() => {
    sessionStorage.setItem('pejling.portal.tenant', 'nordlys');
    localStorage.clear();
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('starts a business without a store at step 1 and goes on to step 2 with the store it made', async () => {
    const sent: Sent = [];
    let made: unknown[] = [];
    renderWelcome(clientAnswering(answers({
      WelcomeStores: () => stores(made),
      CreateStore: () => {
        made = [{ ...AARHUS, zones: [] }];
        return { createStore: { __typename: 'StorePayload', errors: [],
          store: { __typename: 'Store', id: AARHUS.id, name: AARHUS.name, slug: AARHUS.slug } } };
      },
      CreateZone: { createZone: { __typename: 'ZonePayload', errors: [], zone: { __typename: 'Zone', id: 'Z1', name: 'Till', kind: 'other' } } },
    }), sent));
    expect(step()).toBe('Step 1 of 4: Your store');
    expect(progress().map((b) => (b as HTMLButtonElement).disabled)).toEqual([false, true, true, true]);
    expect(progress()[0].getAttribute('aria-current')).toBe('step');
    fireEvent.change(screen.getByLabelText('Store name'), { target: { value: 'Nordlys Aarhus' } });
    fireEvent.change(screen.getByLabelText('Zones'), { target: { value: 'Till' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create store' }));
    await waitFor(() => expect(step()).toBe('Step 2 of 4: Your survey'));
    expect(sent.find((s) => s.name === 'CreateStore')?.variables.input).toMatchObject({ name: 'Nordlys Aarhus', slug: 'nordlys-aarhus' });
    expect(sent.find((s) => s.name === 'CreateZone')?.variables).toEqual({ input: { storeId: AARHUS.id, name: 'Till' } });
    expect(screen.getByTestId('where').textContent).toBe(`/portal/welcome?store=${encodeURIComponent(AARHUS.id)}&step=2`);
    expect(progress()[0].textContent).toContain('(done)');
  });

  it('step 2: the store\'s language and the survey with its phone-frame preview; continuing is remembered', async () => {
    const sent: Sent = [];
    renderWelcome(clientAnswering(answers({ SetStoreLanguage: { updateStore: { __typename: 'StorePayload', errors: [],
      store: { __typename: 'Store', id: AARHUS.id, defaultLanguage: 'sv' } } } }), sent), '/portal/welcome?step=2');
    expect(step()).toBe('Step 2 of 4: Your survey');
    expect(screen.getByTitle('Survey preview on a phone').getAttribute('src')).toBe('/s/nordlys/aarhus?preview=1&lang=da');
    fireEvent.change(screen.getByLabelText('Survey language'), { target: { value: 'sv' } });
    await waitFor(() => expect(sent.find((s) => s.name === 'SetStoreLanguage')?.variables).toEqual({ id: AARHUS.id, language: 'sv' }));
    expect(surveyStepDone('nordlys', AARHUS.id)).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(step()).toBe('Step 3 of 4: Poster and NFC'));
    expect(surveyStepDone('nordlys', AARHUS.id)).toBe(true);
  });

  it('step 3: makes the QR code, links its poster with the tenant, and prepares an NFC tag showing its payload', async () => {
    localStorage.setItem(`pejling.welcome.survey:nordlys:${AARHUS.id}`, '1');
    const sent: Sent = [];
    let codes: unknown[] = [];
    let tags: unknown[] = [];
    renderWelcome(clientAnswering(answers({
      WelcomeChannels: () => channels(codes, tags),
      CreateSurveyCode: () => {
        codes = [CODE];
        return { createSurveyCode: { __typename: 'SurveyCodePayload', errors: [], surveyCode: { __typename: 'SurveyCode', id: 'c1', code: CODE.code } } };
      },
      WelcomeNfcTag: () => {
        tags = [TAG];
        return { registerNfcTag: { __typename: 'NfcTagPayload', errors: [], tag: TAG } };
      },
    }), sent));
    expect(step()).toBe('Step 3 of 4: Poster and NFC');
    const next = screen.getByRole('button', { name: 'Continue' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Make a QR code' }));
    const poster = await screen.findByRole('link', { name: 'Download the A4 poster (PDF)' });
    expect(poster.getAttribute('href')).toBe('/api/survey-codes/c1/poster-a4.pdf?tenant=nordlys');
    expect(sent.find((s) => s.name === 'CreateSurveyCode')?.variables).toEqual({ storeId: AARHUS.id });
    fireEvent.click(screen.getByRole('button', { name: 'Prepare an NFC tag' }));
    expect((await screen.findByTestId('nfc-record')).textContent).toBe(TAG.ndefRecord);
    expect(screen.getByTestId('nfc-url').textContent).toBe(TAG.url);
    expect(sent.find((s) => s.name === 'WelcomeNfcTag')?.variables).toEqual({ storeId: AARHUS.id, label: 'Nordlys Aarhus poster' });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(step()).toBe('Step 4 of 4: Your first response'));
  });

  it('resumes where it was left: at step 4, waiting live for the first response', async () => {
    localStorage.setItem(`pejling.welcome.survey:nordlys:${AARHUS.id}`, '1');
    renderWelcome(clientAnswering(answers({ WelcomeChannels: channels([CODE]) }), []));
    expect(step()).toBe('Step 4 of 4: Your first response');
    expect(progress().slice(0, 3).every((b) => b.textContent?.includes('(done)'))).toBe(true);
    expect(FakeEventSource.last?.url).toBe(`/api/live/responses?store=${encodeURIComponent(AARHUS.id)}&tenant=nordlys`);
    expect(screen.getByRole('link', { name: 'Open the survey yourself' }).getAttribute('href')).toBe('/q/K7QM4ZPX');
    act(() => FakeEventSource.last?.emit('today', '{"count": 0}'));
    expect(screen.getByTestId('live-count').textContent).toBe('0 responses today');
    expect(screen.getByText('Waiting for the first response…')).toBeDefined();
    act(() => FakeEventSource.last?.emit('response', '{}', 'r1'));
    expect(screen.getByTestId('live-count').getAttribute('data-count')).toBe('1');
    expect(screen.getByText(/Your first response has arrived/)).toBeDefined();
    expect(screen.getByRole('link', { name: 'Open the dashboard' }).getAttribute('href'))
      .toBe(`/portal/stores/${encodeURIComponent(AARHUS.id)}/dashboard`);
    // an earlier step is one button away, by keyboard too
    fireEvent.click(progress()[0]);
    expect(step()).toBe('Step 1 of 4: Your store');
    expect(screen.getByRole('heading', { name: 'Nordlys Aarhus' })).toBeDefined();
  });

  it('never opens a step whose earlier steps are not done, whatever the address says', () => {
    renderWelcome(clientAnswering(answers(), []), '/portal/welcome?step=4');
    expect(step()).toBe('Step 2 of 4: Your survey');
  });

  it('shows the error state with a retry', async () => {
    renderWelcome(clientAnswering(answers({ WelcomeStores: { error: true } }), []));
    expect((await screen.findByRole('alert')).textContent).toContain('Try again');
  });

  it('tells a store manager it is for owners and admins, asking the API nothing more', () => {
    const sent: Sent = [];
    renderWelcome(clientAnswering(answers({}, 'STORE_MANAGER'), sent));
    expect(screen.getByTestId('admin-only').textContent).toContain('Only owners and admins');
    expect(sent.map((s) => s.name)).toEqual(['Me']);
  });

  it('picks the step to show', () => {
    expect(stepToShow([false, false, false, false], null)).toBe(1);
    expect(stepToShow([true, true, false, false], null)).toBe(3);
    expect(stepToShow([true, true, false, false], 1)).toBe(1);
    expect(stepToShow([true, false, true, false], 3)).toBe(2);
    expect(stepToShow([true, true, true, true], 9)).toBe(4);
  });
});
