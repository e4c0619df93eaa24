import { fireEvent, waitFor, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { samePath } from '../downloads';
import { away, PrivacyPage, validMonths } from './Privacy';

const NO_RETENTION = { retention: { __typename: 'Retention', months: null, mode: 'ANONYMISE', cutoff: null, due: 0 } };
const TWELVE = { __typename: 'Retention', months: 12, mode: 'ANONYMISE', cutoff: '2025-12-02T10:00:00Z', due: 3 };
const STORED = { __typename: 'ShopperData', receiptCode: 'K7Q-4MZ', store: 'Nordlys Aarhus', zone: 'Checkout',
  channel: 'qr', language: 'da', submittedAt: '2026-11-30T14:05:00+01:00', outcome: 8, comment: 'Long queue',
  contactEmail: 'kim@example.com', answers: [{ statementId: 'a' }, { statementId: 'b' }, { statementId: 'c' }] };
const EXPORT = { __typename: 'Export', id: 'RXhwb3J0OjE=', status: 'QUEUED', progress: 0, rowsDone: 0, rowsTotal: null,
  downloadUrl: null };

function renderPrivacy(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/privacy']}><PrivacyPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

function answers(extra: Answers = {}, role = 'OWNER'): Answers {
  return { Me: meAs(role), Retention: NO_RETENTION, ...extra };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the privacy page: retention', () => {
  it('shows the cutoff and how many responses wait for the purge', () => {
    renderPrivacy(clientAnswering(answers({ Retention: { retention: TWELVE } }), []));
    const now = screen.getByTestId('retention-now');
    expect(now.textContent).toMatch(/^Responses submitted before .*2025.* are removed\./);
    expect(now.textContent).toContain('3 responses are waiting for the next hourly purge.');
    expect((screen.getByLabelText('For a number of months') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Months') as HTMLInputElement).value).toBe('12');
  });

  it('refuses months outside 1–120 at the field, without asking the API', () => {
    const sent: Sent = [];
    renderPrivacy(clientAnswering(answers(), sent));
    expect(screen.getByText('Responses are kept until a shopper asks for their erasure.')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('For a number of months'));
    const months = screen.getByLabelText('Months');
    fireEvent.change(months, { target: { value: '121' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(months.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Enter a whole number of months from 1 to 120.')).toBeTruthy();
    expect(sent.some((s) => s.name === 'SetRetention')).toBe(false);
  });

  it('saves 12 months then delete, and says so', async () => {
    const sent: Sent = [];
    renderPrivacy(clientAnswering(answers({
      SetRetention: { setRetention: { retention: { ...TWELVE, mode: 'DELETE' }, errors: [] } },
    }), sent));
    fireEvent.click(screen.getByLabelText('For a number of months'));
    fireEvent.change(screen.getByLabelText('Months'), { target: { value: '12' } });
    fireEvent.click(screen.getByLabelText(/^Delete The responses are erased completely/));
    fireEvent.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(await screen.findByText('Retention saved. It takes effect at the next hourly purge.')).toBeTruthy();
    expect(sent.find((s) => s.name === 'SetRetention')?.variables).toEqual({ months: 12, mode: 'DELETE' });
  });

  it('keeps responses until erased with a null months', async () => {
    const sent: Sent = [];
    renderPrivacy(clientAnswering(answers({
      Retention: { retention: TWELVE },
      SetRetention: { setRetention: { retention: NO_RETENTION.retention, errors: [] } },
    }), sent));
    fireEvent.click(screen.getByLabelText('Until a shopper asks for their erasure'));
    expect(screen.queryByLabelText('Months')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(await screen.findByText(/^Retention saved/)).toBeTruthy();
    expect(sent.find((s) => s.name === 'SetRetention')?.variables).toEqual({ months: null, mode: 'ANONYMISE' });
  });

  it('shows the API\'s typed error at the months field', async () => {
    renderPrivacy(clientAnswering(answers({
      SetRetention: { setRetention: { retention: null,
        errors: [{ code: 'invalid', message: 'Keep responses for 1-120 months.', field: 'months' }] } },
    }), []));
    fireEvent.click(screen.getByLabelText('For a number of months'));
    fireEvent.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(await screen.findByText('Keep responses for 1-120 months.')).toBeTruthy();
    expect(screen.getByLabelText('Months').getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByText(/^Retention saved/)).toBeNull();
  });
});

describe('the privacy page: a shopper\'s request', () => {
  it('says clearly when no response has the code', async () => {
    renderPrivacy(clientAnswering(answers({ ShopperData: { shopperData: null } }), []));
    fireEvent.change(screen.getByLabelText('Receipt code'), { target: { value: ' ZZZ-999 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Look up' }));
    expect((await screen.findByTestId('unknown-code')).textContent).toBe(
      'No response of yours has the receipt code ZZZ-999. Check it with the shopper.');
  });

  it('shows what is stored and erases it only after confirming', async () => {
    const sent: Sent = [];
    renderPrivacy(clientAnswering(answers({
      ShopperData: { shopperData: STORED },
      EraseShopperResponse: { eraseShopperResponse: { erasedReceiptCode: 'K7Q-4MZ', errors: [] } },
    }), sent));
    fireEvent.change(screen.getByLabelText('Receipt code'), { target: { value: 'k7q4mz' } });
    fireEvent.click(screen.getByRole('button', { name: 'Look up' }));
    const stored = await screen.findByTestId('shopper-data');
    expect(sent.find((s) => s.name === 'ShopperData')?.variables).toEqual({ receiptCode: 'k7q4mz' });
    expect(within(stored).getByRole('heading').textContent).toBe('Stored for the receipt code K7Q-4MZ');
    for (const text of ['Nordlys Aarhus', 'Checkout', '8 of 10', 'Long queue', 'kim@example.com', '3 answers']) {
      expect(within(stored).getByText(text)).toBeTruthy();
    }
    fireEvent.click(screen.getByRole('button', { name: 'Erase this response' }));
    expect(sent.some((s) => s.name === 'EraseShopperResponse')).toBe(false);
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' })));
    const confirm = screen.getByRole('group', { name: /^Erase the response K7Q-4MZ/ });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Yes, erase' }));
    expect(await screen.findByText('The response K7Q-4MZ was erased. The figures are recomputed without it.'))
      .toBeTruthy();
    expect(sent.find((s) => s.name === 'EraseShopperResponse')?.variables).toEqual({ receiptCode: 'K7Q-4MZ' });
    expect(screen.queryByTestId('shopper-data')).toBeNull();
    await waitFor(() => expect(document.activeElement?.textContent).toMatch(/^The response K7Q-4MZ was erased/));
  });
});

describe('the privacy page: export everything', () => {
  it('follows the export\'s progress to a download link', async () => {
    const sent: Sent = [];
    const steps = [
      { ...EXPORT, status: 'RUNNING', progress: 0.5, rowsDone: 20, rowsTotal: 40 },
      { ...EXPORT, status: 'SUCCEEDED', progress: 1, rowsDone: 40, rowsTotal: 40,
        downloadUrl: 'http://pejling.example/api/exports/RXhwb3J0OjE=/download' },
    ];
    let asked = 0;
    renderPrivacy(clientAnswering(answers({
      StartTenantExport: { startTenantExport: { export: EXPORT, errors: [] } },
      TenantExport: () => ({ export: steps[Math.min(asked++, steps.length - 1)] }),
    }), sent));
    fireEvent.click(screen.getByRole('button', { name: 'Start the export' }));
    const bar = await screen.findByRole('progressbar', { name: 'Export progress' });
    expect(await screen.findByText('20 of 40 rows')).toBeTruthy();
    expect(bar.getAttribute('aria-valuenow')).toBe('50');
    expect((screen.getByRole('button', { name: 'Start the export' }) as HTMLButtonElement).disabled).toBe(true);
    const link = await screen.findByRole('link', { name: 'Download the ZIP file' }, { timeout: 4000 });
    expect(link.getAttribute('href')).toBe('/api/exports/RXhwb3J0OjE=/download');
    expect(bar.getAttribute('aria-valuenow')).toBe('100');
    expect(sent.filter((s) => s.name === 'TenantExport').every((s) => s.variables.id === EXPORT.id)).toBe(true);
  });

  it('says so when the export fails', async () => {
    renderPrivacy(clientAnswering(answers({
      StartTenantExport: { startTenantExport: { export: EXPORT, errors: [] } },
      TenantExport: { export: { ...EXPORT, status: 'FAILED' } },
    }), []));
    fireEvent.click(screen.getByRole('button', { name: 'Start the export' }));
    expect(await screen.findByText('The export failed. Try again in a little while.')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Download the ZIP file' })).toBeNull();
  });
});

describe('the privacy page: delete this business', () => {
  it('deletes only once the exact slug is typed, then goes to the login page', async () => {
    const sent: Sent = [];
    const to = vi.spyOn(away, 'to').mockImplementation(() => {});
    renderPrivacy(clientAnswering(answers({
      DeleteTenant: { deleteTenant: { deletedSlug: 'nordlys', errors: [] } },
      Logout: { logout: { ok: true, errors: [] } },
    }), sent));
    const button = screen.getByRole('button', { name: 'Delete the business for good' }) as HTMLButtonElement;
    const field = screen.getByLabelText('Type nordlys to confirm');
    expect(button.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'Nordlys' } });
    expect(button.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'nordlys ' } });
    expect(button.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'nordlys' } });
    expect(button.disabled).toBe(false);
    fireEvent.click(button);
    await vi.waitFor(() => expect(to).toHaveBeenCalledWith('/login?deleted=1'));
    expect(sent.find((s) => s.name === 'DeleteTenant')?.variables).toEqual({ confirmSlug: 'nordlys' });
    expect(sent.some((s) => s.name === 'Logout')).toBe(true);
  });

  it('shows the conflict of a live paid subscription at the form and stays', async () => {
    const to = vi.spyOn(away, 'to').mockImplementation(() => {});
    const message = 'Cancel the paid subscription first (Billing), then delete the business.';
    renderPrivacy(clientAnswering(answers({
      DeleteTenant: { deleteTenant: { deletedSlug: null, errors: [{ code: 'conflict', message, field: null }] } },
    }), []));
    fireEvent.change(screen.getByLabelText('Type nordlys to confirm'), { target: { value: 'nordlys' } });
    fireEvent.click(screen.getByRole('button', { name: 'Delete the business for good' }));
    expect((await screen.findByRole('alert')).textContent).toBe(message);
    expect(to).not.toHaveBeenCalled();
  });

  it('explains to an admin that only an owner can delete, with the form disabled', () => {
    renderPrivacy(clientAnswering(answers({}, 'ADMIN'), []));
    expect(screen.getByTestId('owner-only').textContent).toBe(
      'Only an owner can delete the business. Ask an owner if it should be closed.');
    expect((screen.getByLabelText('Type nordlys to confirm') as HTMLInputElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Delete the business for good' }) as HTMLButtonElement).disabled)
      .toBe(true);
    expect(screen.getByRole('button', { name: 'Save retention' })).toBeTruthy(); // the rest is theirs to use
  });
});

it('tells a store manager it is for owners and admins, without asking the API', () => {
  const sent: Sent = [];
  renderPrivacy(clientAnswering({ Me: meAs('STORE_MANAGER') }, sent));
  expect(screen.getByTestId('admin-only').textContent).toMatch(/^Only owners and admins can manage privacy/);
  expect(sent.map((s) => s.name)).toEqual(['Me']);
});

describe('helpers', () => {
  it('validMonths takes whole numbers from 1 to 120 only', () => {
    expect(['1', '12', ' 120 '].map(validMonths)).toEqual([1, 12, 120]);
    expect(['0', '121', '1.5', '', 'x', '-3'].map(validMonths)).toEqual([null, null, null, null, null, null]);
  });

  it('samePath keeps the path and query of a download URL', () => {
    expect(samePath('https://other.example/api/exports/x/download?a=1')).toBe('/api/exports/x/download?a=1');
  });
});
