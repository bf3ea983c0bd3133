import type { RunRepository } from '../ports/run-ports.js';

/** What operators read of harvest runs (the admin API, `placelink runs`): the recorded runs, newest first, and one run. */
export type RunHistory = Pick<RunRepository, 'list' | 'get'>;
