import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { describe, expect, it } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { ChannelsPage, csvAddresses, csvRows, IMPORT_BATCH } from './Channels';

const ENTRANCE = { __typename: 'Zone', id: 'Wm9uZTox', name: 'Entrance' };
const AARHUS = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus', zones: [ENTRANCE] };
const ODENSE = { __typename: 'Store', id: 'U3RvcmU6Yg==', name: 'Nordlys Odense', zones: [] };
const FILES = 'https://api.example.com/api/survey-codes/c1';

const CODE = { __typename: 'SurveyCode', id: 'c1', code: 'K7QM4ZPX', url: 'https://api.example.com/q/K7QM4ZPX',
  zoneId: ENTRANCE.id, campaign: 'Autumn', scans: 12, createdAt: '2026-11-30T09:00:00Z', svgUrl: `${FILES}/qr.svg`,
  pngUrl: `${FILES}/qr.png`, posterA4Url: `${FILES}/poster-a4.pdf`, posterA5Url: `${FILES}/poster-a5.pdf` };
const TAG = { __typename: 'NfcTag', id: 'TmZjOjE=', zoneId: null, label: 'Till 1', sun: false, lastSeenAt: null,
  createdAt: '2026-11-30T09:00:00Z', url: 'https://api.example.com/s/nordlys/aarhus?ch=nfc&tag=t1', ndefRecord: 'kQEP' };
const KIOSK = { __typename: 'Kiosk', id: 'S2lvc2s6MQ==', zoneId: ENTRANCE.id, label: 'Door tablet',
  createdAt: '2026-11-30T09:00:00Z', lastSeenAt: '2026-12-02T10:00:00Z' };

function channels({ codes = [CODE], tags = [TAG], kiosks = [KIOSK] }: { codes?: unknown[]; tags?: unknown[]; kiosks?: unknown[] } = {}) {
  return { surveyCodes: codes, nfcTags: tags, kiosks };
}

function answers(extra: Answers = {}, role = 'ADMIN'): Answers {
  return { Me: meAs(role), ChannelStores: { stores: { edges: [{ node: AARHUS }, { node: ODENSE }] } }, Channels: channels(),
    ...extra };
}

function renderChannels(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/channels']}><ChannelsPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const region = (name: string) => screen.getByRole('region', { name });

describe('the channels page', () => {
  it('lists a store\'s QR codes with downloads that name the tenant, its NFC tags and its tablets', () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers(), sent));
    expect(sent.find((s) => s.name === 'Channels')?.variables).toEqual({ storeId: AARHUS.id });
    const qr = region('QR posters');
    const row = within(qr).getAllByRole('row')[1];
    expect(row.textContent).toContain('K7QM4ZPX');
    expect(row.textContent).toContain('Entrance');
    expect(row.textContent).toContain('Autumn');
    const poster = within(row).getByRole('link', { name: 'A4 poster (PDF) K7QM4ZPX' });
    expect(poster.getAttribute('href')).toBe('/api/survey-codes/c1/poster-a4.pdf?tenant=nordlys');
    expect(within(row).getAllByRole('link').map((a) => a.getAttribute('href'))).toEqual([
      '/api/survey-codes/c1/qr.svg?tenant=nordlys', '/api/survey-codes/c1/qr.png?tenant=nordlys',
      '/api/survey-codes/c1/poster-a4.pdf?tenant=nordlys', '/api/survey-codes/c1/poster-a5.pdf?tenant=nordlys']);
    const tag = within(region('NFC tags')).getAllByRole('row')[1];
    expect(tag.textContent).toContain('Till 1');
    expect(tag.textContent).toContain('Whole store');
    expect(tag.textContent).toContain('Never');
    expect(tag.textContent).toContain(TAG.url);
    expect(within(region('Kiosk tablets')).getAllByRole('row')[1].textContent).toContain('Door tablet');
  });

  it('reads another store\'s channels when it is chosen, and says when it has none', () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      Channels: (variables) => (variables.storeId === ODENSE.id ? channels({ codes: [], tags: [], kiosks: [] }) : channels()),
    }), sent));
    fireEvent.change(screen.getByLabelText('Store'), { target: { value: ODENSE.id } });
    expect(sent.filter((s) => s.name === 'Channels').map((s) => s.variables.storeId)).toEqual([AARHUS.id, ODENSE.id]);
    expect(within(region('QR posters')).getByText('This store has no QR code yet. Make one below.')).toBeTruthy();
    expect(within(region('NFC tags')).getByText('This store has no NFC tags yet.')).toBeTruthy();
    expect(within(region('Kiosk tablets')).getByText('This store has no kiosk tablets.')).toBeTruthy();
  });

  it('makes a QR code for the zone chosen, with its campaign', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      CreateChannelCode: { createSurveyCode: { surveyCode: { __typename: 'SurveyCode', id: 'c2', code: 'P2QRS8TV' }, errors: [] } },
    }), sent));
    fireEvent.change(screen.getByLabelText('Zone for new codes, tags, tablets and invitations'),
      { target: { value: ENTRANCE.id } });
    fireEvent.change(screen.getByLabelText('Campaign label (optional)'), { target: { value: ' Winter ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Make a QR code' }));
    await waitFor(() => expect(within(region('QR posters')).getByRole('status').textContent)
      .toBe('QR code P2QRS8TV is ready to print.'));
    expect(sent.find((s) => s.name === 'CreateChannelCode')?.variables)
      .toEqual({ storeId: AARHUS.id, zoneId: ENTRANCE.id, campaign: 'Winter' });
    expect(sent.filter((s) => s.name === 'Channels').length).toBe(2);
  });

  it('registers an NFC tag and shows the link and NDEF message to write on it', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      RegisterNfcTag: { registerNfcTag: { tag: { __typename: 'NfcTag', id: 'TmZjOjI=', label: 'Fitting rooms', sun: false,
        url: 'https://api.example.com/s/nordlys/aarhus?ch=nfc&tag=t2', ndefRecord: 'kQEbVQRhcGk=',
        piccDataOffset: null, macOffset: null }, errors: [] } },
    }), sent));
    const nfc = region('NFC tags');
    fireEvent.change(within(nfc).getByLabelText('Label'), { target: { value: 'Fitting rooms' } });
    fireEvent.click(within(nfc).getByRole('button', { name: 'Register an NFC tag' }));
    const made = await screen.findByRole('region', { name: 'Tag “Fitting rooms” is registered' });
    expect((within(made).getByLabelText('NDEF message (base64)') as HTMLInputElement).value).toBe('kQEbVQRhcGk=');
    expect((within(made).getByLabelText('Link') as HTMLInputElement).value).toContain('tag=t2');
    expect(document.activeElement).toBe(within(made).getByLabelText('Link'));
    expect(sent.find((s) => s.name === 'RegisterNfcTag')?.variables)
      .toEqual({ storeId: AARHUS.id, zoneId: null, label: 'Fitting rooms', sunKeys: null });
  });

  it('sends the SUN keys of an NTAG 424 DNA, and shows an error on a key next to it', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      RegisterNfcTag: { registerNfcTag: { tag: null, errors: [
        { code: 'invalid', message: 'Give 32 hexadecimal digits.', field: 'sunKeys.metaReadKey' }] } },
    }), sent));
    const nfc = region('NFC tags');
    fireEvent.change(within(nfc).getByLabelText('Label'), { target: { value: 'Door' } });
    fireEvent.click(within(nfc).getByLabelText(/NTAG 424 DNA/));
    fireEvent.change(within(nfc).getByLabelText(/SDM meta read key/), { target: { value: 'ab'.repeat(16) } });
    fireEvent.change(within(nfc).getByLabelText(/SDM file read key/), { target: { value: 'cd'.repeat(16) } });
    fireEvent.submit(within(nfc).getByRole('button', { name: 'Register an NFC tag' }).closest('form')!);
    expect(await within(nfc).findByText('Give 32 hexadecimal digits.')).toBeTruthy();
    expect(within(nfc).queryByRole('alert')).toBeNull();
    expect(sent.find((s) => s.name === 'RegisterNfcTag')?.variables.sunKeys)
      .toEqual({ metaReadKey: 'ab'.repeat(16), fileReadKey: 'cd'.repeat(16) });
  });

  it('registers a kiosk tablet and shows its token once', async () => {
    renderChannels(clientAnswering(answers({
      RegisterKiosk: { registerKiosk: { kiosk: { __typename: 'Kiosk', id: 'S2lvc2s6Mg==', label: 'Counter' },
        token: 'pjk_secret', url: 'https://api.example.com/kiosk#pjk_secret', errors: [] } },
    }), []));
    const kiosks = region('Kiosk tablets');
    fireEvent.change(within(kiosks).getByLabelText('Tablet name'), { target: { value: 'Counter' } });
    fireEvent.click(within(kiosks).getByRole('button', { name: 'Register a tablet' }));
    const made = await screen.findByRole('region', { name: 'Tablet “Counter” is registered' });
    expect((within(made).getByLabelText('Device token') as HTMLInputElement).value).toBe('pjk_secret');
    expect(made.textContent).toContain('it will not be shown again');
    fireEvent.click(within(made).getByRole('button', { name: 'I have copied it, hide it' }));
    expect(screen.queryByRole('region', { name: 'Tablet “Counter” is registered' })).toBeNull();
  });

  it('revokes a tablet only after confirming in a dialog that Escape closes', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      RetireKiosk: { retireKiosk: { kiosk: { __typename: 'Kiosk', id: KIOSK.id, retired: true }, errors: [] } },
    }), sent));
    const revoke = within(region('Kiosk tablets')).getByRole('button', { name: 'Revoke Door tablet' });
    fireEvent.click(revoke);
    let dialog = screen.getByRole('dialog', { name: 'Revoke the tablet Door tablet?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' }));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(revoke);
    expect(sent.some((s) => s.name === 'RetireKiosk')).toBe(false);

    fireEvent.click(revoke);
    dialog = screen.getByRole('dialog', { name: 'Revoke the tablet Door tablet?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, revoke' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(sent.find((s) => s.name === 'RetireKiosk')?.variables).toEqual({ id: KIOSK.id });
    expect(sent.filter((s) => s.name === 'Channels').length).toBe(2);
  });

  it('keeps Tab inside the confirmation dialog', () => {
    renderChannels(clientAnswering(answers(), []));
    fireEvent.click(within(region('NFC tags')).getByRole('button', { name: 'Retire Till 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Retire the NFC tag Till 1?' });
    const [yes, cancel] = within(dialog).getAllByRole('button');
    expect(yes.textContent).toBe('Yes, retire');
    fireEvent.keyDown(cancel, { key: 'Tab' });
    expect(document.activeElement).toBe(yes);
    fireEvent.keyDown(yes, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(cancel);
  });

  it('retires a QR code after confirming, and shows the API\'s error', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      RetireSurveyCode: { retireSurveyCode: { surveyCode: null, errors: [{ code: 'not_found', message: 'No such survey code.', field: 'id' }] } },
    }), sent));
    fireEvent.click(within(region('QR posters')).getByRole('button', { name: 'Retire K7QM4ZPX' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, retire' }));
    expect((await within(region('QR posters')).findByRole('alert')).textContent).toContain('No such survey code.');
    expect(sent.find((s) => s.name === 'RetireSurveyCode')?.variables).toEqual({ id: 'c1' });
  });

  it('sends one email invitation and says what became of it', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      InviteShoppers: (variables) => ({ inviteShoppers: (variables.recipients as string[])[0] === 'gone@example.com'
        ? { sent: 0, suppressed: 1, refused: [], errors: [] }
        : { sent: 1, suppressed: 0, refused: [], errors: [] } }),
    }), sent));
    const invite = region('Email invitation');
    fireEvent.change(within(invite).getByLabelText('Shopper’s email'), { target: { value: ' kari@example.com ' } });
    fireEvent.change(within(invite).getByLabelText('Language of the mail'), { target: { value: 'nb' } });
    fireEvent.click(within(invite).getByRole('button', { name: 'Send invitation' }));
    await waitFor(() => expect(within(invite).getByRole('status').textContent).toBe('The invitation is on its way.'));
    expect(sent.find((s) => s.name === 'InviteShoppers')?.variables)
      .toEqual({ storeId: AARHUS.id, zoneId: null, recipients: ['kari@example.com'], language: 'nb' });
    fireEvent.change(within(invite).getByLabelText('Shopper’s email'), { target: { value: 'gone@example.com' } });
    fireEvent.click(within(invite).getByRole('button', { name: 'Send invitation' }));
    await waitFor(() => expect(within(invite).getByRole('status').textContent)
      .toBe('Not sent: this address has unsubscribed from your invitations.'));
  });

  it('imports a CSV file in batches, showing the progress and the totals', async () => {
    const sent: Sent = [];
    const addresses = Array.from({ length: 450 }, (_, i) => `shopper${i}@example.com`);
    renderChannels(clientAnswering(answers({
      InviteShoppers: (variables) => {
        const recipients = variables.recipients as string[];
        const bad = recipients.filter((r) => r === 'shopper7@example.com');
        return { inviteShoppers: { sent: recipients.length - bad.length - (recipients.includes('shopper0@example.com') ? 1 : 0),
          suppressed: recipients.includes('shopper0@example.com') ? 1 : 0,
          refused: bad.map((address) => ({ __typename: 'RefusedRecipient', address, code: 'invalid' })), errors: [] } };
      },
    }), sent));
    const csv = region('Import invitations from a CSV file');
    const text = `name,Email\n${addresses.map((a, i) => `"Shopper, ${i}",${a}`).join('\n')}\nAgain,SHOPPER1@example.com\n`;
    const file = new File([text], 'shoppers.csv', { type: 'text/csv' });
    fireEvent.change(within(csv).getByLabelText('CSV file'), { target: { files: [file] } });
    await act(async () => {
      fireEvent.click(within(csv).getByRole('button', { name: 'Send invitations' }));
    });
    await waitFor(() => expect(within(csv).getByRole('status').textContent)
      .toBe('448 invitations sent. 1 address skipped (unsubscribed). 1 address refused.'));
    const calls = sent.filter((s) => s.name === 'InviteShoppers').map((s) => s.variables.recipients as string[]);
    expect(calls.map((c) => c.length)).toEqual([IMPORT_BATCH, IMPORT_BATCH, 50]);
    expect(calls.flat()).toEqual(addresses);
    const bar = within(csv).getByRole('progressbar', { name: 'Invitations sent so far' });
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
    expect(csv.textContent).toContain('450 of 450 addresses handled');
    fireEvent.click(within(csv).getByText('The refused addresses'));
    expect(csv.textContent).toContain('shopper7@example.com: Not sent: that is not an address we can send to.');
  });

  it('stops an import at a refused call and says so', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers({
      InviteShoppers: { inviteShoppers: { sent: 0, suppressed: 0, refused: [],
        errors: [{ code: 'channel_not_enabled', message: 'The email channel is not enabled for you.', field: 'channel' }] } },
    }), sent));
    const csv = region('Import invitations from a CSV file');
    const file = new File([Array.from({ length: 300 }, (_, i) => `s${i}@example.com`).join('\r\n')], 'list.csv');
    fireEvent.change(within(csv).getByLabelText('CSV file'), { target: { files: [file] } });
    fireEvent.click(within(csv).getByRole('button', { name: 'Send invitations' }));
    expect((await within(csv).findByRole('alert')).textContent).toContain('The email channel is not enabled for you.');
    expect(sent.filter((s) => s.name === 'InviteShoppers').length).toBe(1);
  });

  it('says a file without addresses has none, and sends nothing', async () => {
    const sent: Sent = [];
    renderChannels(clientAnswering(answers(), sent));
    const csv = region('Import invitations from a CSV file');
    fireEvent.change(within(csv).getByLabelText('CSV file'), { target: { files: [new File(['email\n\n'], 'empty.csv')] } });
    fireEvent.click(within(csv).getByRole('button', { name: 'Send invitations' }));
    expect((await within(csv).findByRole('alert')).textContent).toContain('The file has no addresses.');
    expect(sent.some((s) => s.name === 'InviteShoppers')).toBe(false);
  });

  it('asks for a store first when there is none', () => {
    renderChannels(clientAnswering(answers({ ChannelStores: { stores: { edges: [] } } }), []));
    expect(screen.getByText(/You have no stores yet/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to your stores' }).getAttribute('href')).toBe('/portal');
  });

  it('offers to try again when the channels cannot be read', () => {
    renderChannels(clientAnswering(answers({ Channels: { error: true } }), []));
    expect(screen.getByRole('alert').textContent).toContain('Something went wrong');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('tells analysts and store managers it is for owners and admins, without asking the API', () => {
    for (const role of ['ANALYST', 'STORE_MANAGER']) {
      const sent: Sent = [];
      const { unmount } = renderChannels(clientAnswering(answers({}, role), sent));
      expect(screen.getByTestId('admin-only').textContent).toMatch(/^Only owners and admins manage the channels/);
      expect(screen.queryByRole('link', { name: 'Channels' })).toBeNull();
      expect(sent.map((s) => s.name)).toEqual(['Me']);
      unmount();
    }
  });

  it('offers the page in the navigation right after Stores', () => {
    renderChannels(clientAnswering(answers(), []));
    const links = within(screen.getByRole('navigation', { name: 'Main' })).getAllByRole('link');
    expect(links.slice(0, 2).map((link) => [link.textContent, link.getAttribute('href')]))
      .toEqual([['Stores', '/portal'], ['Channels', '/portal/channels']]);
  });
});

describe('reading a CSV file of addresses', () => {
  it('reads quoted fields, doubled quotes and both line ends', () => {
    expect(csvRows('\ufeffa,"b, ""c"""\r\nd,e\nf')).toEqual([['a', 'b, "c"'], ['d', 'e'], ['f']]);
  });

  it('takes the named column of a file with a header, else the first column, each address once', () => {
    expect(csvAddresses('Name,EMAIL\nKari, kari@example.com \nBo,\nKari again,KARI@example.com\n'))
      .toEqual(['kari@example.com']);
    expect(csvAddresses('a@example.com,x\nb@example.com\n')).toEqual(['a@example.com', 'b@example.com']);
    expect(csvAddresses('mail;x\nc@example.com', 'mail')).toEqual(['mail;x', 'c@example.com']);
    expect(csvAddresses('')).toEqual([]);
  });
});
