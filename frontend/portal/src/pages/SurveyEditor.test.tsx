import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { Provider, type Client } from 'urql';
import { beforeEach, describe, expect, it } from 'vitest';

import { previewUrl } from '../components/SurveyPreview';
import { SessionProvider } from '../session';
import { clientAnswering, meAs, type Answers, type Sent } from '../test-client';
import { byGoal, statementText, SurveyEditorPage, toggled } from './SurveyEditor';

const texts = (en: string, da = `${en} (da)`) => [
  { __typename: 'LocalisedText', language: 'da', text: da }, { __typename: 'LocalisedText', language: 'nb', text: `${en} (nb)` },
  { __typename: 'LocalisedText', language: 'sv', text: `${en} (sv)` }, { __typename: 'LocalisedText', language: 'en', text: en }];
const statement = (id: string, goal: string, en: string, extra: Record<string, unknown> = {}) => ({
  __typename: 'SurveyStatement', id, goal, polarity: 1, warmup: false, builtin: true, texts: texts(en), ...extra });

const BANK = [
  statement('warmup.visited-today', 'warmup', 'I visited the store today', { warmup: true }),
  statement('security.safe', 'security', 'I felt safe in the store'),
  statement('ease.found', 'ease', 'I found what I came for quickly'),
  statement('ease.queue', 'ease', 'Paying went quickly'),
  statement('value.worth', 'value', 'It was worth the money'),
  statement('ease.t-trolleys', 'ease', 'There were trolleys at the door', { builtin: false }),
];
const AARHUS = { __typename: 'Store', id: 'U3RvcmU6YQ==', name: 'Nordlys Aarhus', slug: 'aarhus', defaultLanguage: 'da' };
const ODENSE = { __typename: 'Store', id: 'U3RvcmU6Yg==', name: 'Nordlys Odense', slug: 'odense', defaultLanguage: 'en' };

function survey(number: number, chosen: string[], { warmups = 2, questions = 0 } = {}) {
  return { __typename: 'Survey', id: 'S1', activeVersion: { __typename: 'SurveyVersion', id: `V${number}`, number,
    statements: chosen.map((id) => ({ __typename: 'SurveyStatement', id, goal: id.split('.')[0] })),
    warmups: Array.from({ length: warmups }, (_, i) => ({ __typename: 'SurveyStatement', id: `warmup.w${i}` })),
    questions: Array.from({ length: questions }, (_, i) => ({ __typename: 'SurveyQuestion', id: `nps.q${i}` })) } };
}

function editor(chosen = ['security.safe', 'ease.found'], stores = [AARHUS, ODENSE], options = {}) {
  return { survey: survey(1, chosen, options), statementBank: BANK,
    stores: { __typename: 'StoreConnection', edges: stores.map((node) => ({ __typename: 'StoreEdge', node })) } };
}

function renderEditor(client: Client) {
  return render(
    <Provider value={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={['/portal/survey']}><SurveyEditorPage /></MemoryRouter>
      </SessionProvider>
    </Provider>,
  );
}

const answers = (extra: Answers = {}, role = 'ADMIN'): Answers => ({ Me: meAs(role), SurveyEditor: editor(), ...extra });
const form = (name: string) => screen.getByRole('form', { name });

describe('the survey editor', () => {
  beforeEach(() => {
    sessionStorage.setItem('pejling.portal.tenant', 'nordlys');
  });

  it('lists the bank by goal without the warm-ups, with the survey\'s statements ticked', () => {
    renderEditor(clientAnswering(answers(), []));
    const statements = form('Statements, by what shoppers come for');
    const groups = within(statements).getAllByRole('group');
    expect(groups.map((g) => g.querySelector('legend')?.textContent)).toEqual(['feeling secure', 'ease', 'value for money']);
    expect(within(groups[1]).getAllByRole('checkbox').map((c) => (c as HTMLInputElement).checked)).toEqual([true, false, false]);
    expect(within(groups[1]).getByText(/There were trolleys/).textContent).toContain('(your own)');
    expect(within(statements).queryByText('I visited the store today')).toBeNull();
    // 9 taps, 2 warm-ups: room for 7
    expect(screen.getByTestId('chosen-count').textContent).toBe('2 of at most 7 chosen.');
    expect(screen.getByTestId('survey-version').textContent).toBe('Version 1 asks 2 statements.');
  });

  it('saves the ticked statements in the order chosen and reloads the preview of the new version', async () => {
    const sent: Sent = [];
    let version = 1;
    let chosen = ['security.safe', 'ease.found'];
    const client = clientAnswering(answers({
      SurveyEditor: () => ({ ...editor(chosen), survey: survey(version, chosen) }),
      ChooseSurveyStatements: (variables) => {
        chosen = variables.statementIds as string[];
        version += 1;
        return { chooseSurveyStatements: { __typename: 'SurveyVersionPayload', errors: [],
          version: { __typename: 'SurveyVersion', id: `V${version}`, number: version, statements: [] } } };
      },
    }), sent);
    renderEditor(client);
    const frame = screen.getByTitle('Survey preview on a phone');
    expect(frame.getAttribute('src')).toBe('/s/nordlys/aarhus?preview=1&lang=da');
    expect(frame.getAttribute('data-version')).toBe('V1');
    const save = within(form('Statements, by what shoppers come for')).getByRole('button', { name: 'Save the statements' });
    expect((save as HTMLButtonElement).disabled).toBe(true); // nothing changed yet
    fireEvent.click(screen.getByRole('checkbox', { name: 'I felt safe in the store' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'It was worth the money' }));
    fireEvent.click(screen.getByRole('checkbox', { name: /There were trolleys/ }));
    fireEvent.click(save);
    await waitFor(() => expect(sent.find((s) => s.name === 'ChooseSurveyStatements')).toBeDefined());
    expect(sent.find((s) => s.name === 'ChooseSurveyStatements')?.variables).toEqual(
      { statementIds: ['ease.found', 'value.worth', 'ease.t-trolleys'] });
    await waitFor(() => expect(screen.getByTitle('Survey preview on a phone').getAttribute('data-version')).toBe('V2'));
    expect(screen.getByTestId('survey-version').textContent).toBe('Version 2 asks 3 statements.');
    expect(screen.getByRole('status').textContent).toContain('Saved.');
  });

  it('refuses more statements than the survey has room for, before asking the API', () => {
    const sent: Sent = [];
    renderEditor(clientAnswering(answers({ SurveyEditor: editor(['security.safe'], [AARHUS], { warmups: 2, questions: 5 }) }), sent));
    expect(screen.getByTestId('chosen-count').textContent).toBe('1 of at most 2 chosen.');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Paying went quickly' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'It was worth the money' }));
    expect(screen.getByTestId('chosen-count').textContent).toBe('Too many: choose at most 2, so the survey stays under a minute.');
    const save = screen.getByRole('button', { name: 'Save the statements' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.click(save);
    expect(sent.map((s) => s.name)).not.toContain('ChooseSurveyStatements');
  });

  it('shows the API\'s refusal of a choice', async () => {
    renderEditor(clientAnswering(answers({ ChooseSurveyStatements: { chooseSurveyStatements: {
      __typename: 'SurveyVersionPayload', version: null,
      errors: [{ __typename: 'UserError', code: 'invalid', message: 'The survey would take over a minute.', field: 'statementIds' }] } } }), []));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Paying went quickly' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save the statements' }));
    expect((await screen.findByRole('alert')).textContent).toContain('The survey would take over a minute.');
  });

  it('asks about the goals ticked, with the number of statements per goal', async () => {
    const sent: Sent = [];
    renderEditor(clientAnswering(answers({ ChooseSurveyGoals: { chooseSurveyGoals: { __typename: 'SurveyVersionPayload',
      errors: [], version: { __typename: 'SurveyVersion', id: 'V2', number: 2, statements: [] } } } }), sent));
    const goals = form('Or choose by goal');
    expect(within(goals).getByText(/feeling secure/).textContent).toContain('(asked now)');
    const ask = within(goals).getByRole('button', { name: 'Ask about these goals' }) as HTMLButtonElement;
    expect(ask.disabled).toBe(true);
    fireEvent.click(within(goals).getByRole('checkbox', { name: 'value for money' }));
    fireEvent.click(within(goals).getByRole('checkbox', { name: /being noticed/ }));
    fireEvent.change(within(goals).getByLabelText('Statements per goal'), { target: { value: '2' } });
    fireEvent.click(ask);
    await waitFor(() => expect(sent.find((s) => s.name === 'ChooseSurveyGoals')?.variables)
      .toEqual({ goals: ['value', 'recognition'], perGoal: 2 }));
  });

  it('adds a statement of your own in the four languages, the tenant\'s first, with the API\'s error on a field', async () => {
    const sent: Sent = [];
    let attempt = 0;
    renderEditor(clientAnswering(answers({ AddSurveyStatement: () => {
      attempt += 1;
      return attempt === 1
        ? { addSurveyStatement: { __typename: 'SurveyStatementPayload', statement: null,
          errors: [{ __typename: 'UserError', code: 'invalid', message: 'Write the Swedish text.', field: 'sv' }] } }
        : { addSurveyStatement: { __typename: 'SurveyStatementPayload', errors: [],
          statement: statement('ease.t-bags', 'ease', 'Bags were at hand') } };
    } }), sent));
    const own = form('A statement of your own');
    const fields = within(own).getAllByRole('textbox');
    // meAs: the tenant's language is English
    expect(fields.map((f) => f.getAttribute('lang'))).toEqual(['en', 'da', 'nb', 'sv']);
    fireEvent.change(within(own).getByLabelText('What it measures'), { target: { value: 'ease' } });
    fireEvent.change(within(own).getByLabelText('In English'), { target: { value: 'Bags were at hand' } });
    fireEvent.change(within(own).getByLabelText('In Danish'), { target: { value: 'Poser var lige ved hånden' } });
    fireEvent.change(within(own).getByLabelText('In Norwegian'), { target: { value: 'Poser var for hånden' } });
    fireEvent.change(within(own).getByLabelText('In Swedish'), { target: { value: 'x' } });
    fireEvent.click(within(own).getByRole('checkbox', { name: /reversed wording/ }));
    fireEvent.click(within(own).getByRole('button', { name: 'Add the statement' }));
    await waitFor(() => expect(within(own).getByText('Write the Swedish text.')).toBeDefined());
    expect(within(own).getByLabelText('In Swedish').getAttribute('aria-invalid')).toBe('true');
    expect(sent.find((s) => s.name === 'AddSurveyStatement')?.variables).toEqual({ input: { goal: 'ease',
      slug: 'bags-were-at-hand', da: 'Poser var lige ved hånden', nb: 'Poser var for hånden', sv: 'x',
      en: 'Bags were at hand', polarity: -1 } });
    fireEvent.change(within(own).getByLabelText('In Swedish'), { target: { value: 'Påsar fanns till hands' } });
    fireEvent.click(within(own).getByRole('button', { name: 'Add the statement' }));
    expect((await within(own).findByRole('status')).textContent).toContain('Bags were at hand');
    expect((within(own).getByLabelText('In English') as HTMLInputElement).value).toBe('');
  });

  it('previews another store and language on request', () => {
    renderEditor(clientAnswering(answers(), []));
    fireEvent.change(screen.getByLabelText('Preview the survey of'), { target: { value: ODENSE.id } });
    expect(screen.getByTitle('Survey preview on a phone').getAttribute('src')).toBe('/s/nordlys/odense?preview=1&lang=en');
    fireEvent.change(screen.getByLabelText('Language of the preview'), { target: { value: 'sv' } });
    expect(screen.getByTitle('Survey preview on a phone').getAttribute('src')).toBe('/s/nordlys/odense?preview=1&lang=sv');
  });

  it('without a store, says so and leads to the onboarding', () => {
    renderEditor(clientAnswering(answers({ SurveyEditor: editor(undefined, []) }), []));
    expect(screen.queryByTitle('Survey preview on a phone')).toBeNull();
    expect(screen.getByRole('link', { name: 'Set up your first store' }).getAttribute('href')).toBe('/portal/welcome');
  });

  it('shows the error state with a retry', async () => {
    const sent: Sent = [];
    renderEditor(clientAnswering(answers({ SurveyEditor: { error: true } }), sent));
    expect((await screen.findByRole('alert')).textContent).toContain('Try again');
  });

  it('tells analysts it is for owners and admins, asking the API nothing', () => {
    const sent: Sent = [];
    renderEditor(clientAnswering(answers({}, 'ANALYST'), sent));
    expect(screen.getByTestId('admin-only').textContent).toContain('Only owners and admins');
    expect(sent.map((s) => s.name)).toEqual(['Me']);
    expect(screen.queryByRole('link', { name: 'Survey' })).toBeNull();
  });

  it('is in the navigation of owners and admins', () => {
    renderEditor(clientAnswering(answers(), []));
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getByRole('link', { name: 'Survey' }).getAttribute('href')).toBe('/portal/survey');
  });
});

describe('the survey editor\'s pieces', () => {
  it('groups by goal in the bank\'s order, toggles keeping the order, and reads a text in a language', () => {
    expect(byGoal(BANK).map(([goal, list]) => [goal, list.length])).toEqual([['security', 1], ['ease', 3], ['value', 1]]);
    expect(toggled(['a', 'b'], 'a', true)).toEqual(['b', 'a']);
    expect(toggled(['a', 'b'], 'a', false)).toEqual(['b']);
    expect(statementText(BANK[1], 'da')).toBe('I felt safe in the store (da)');
    expect(statementText({ texts: [{ language: 'en', text: 'Hi' }] }, 'sv')).toBe('Hi');
    expect(previewUrl('nordlys', 'aarhus city', 'nb')).toBe('/s/nordlys/aarhus%20city?preview=1&lang=nb');
  });
});
