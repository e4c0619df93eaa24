// Vitest: every test starts in English with a fresh DOM.
import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';

import { startI18n } from './i18n';

beforeEach(() => {
  startI18n('en');
});

afterEach(() => {
  cleanup();
});
