import { COMMON_PROBLEMS, problemDetails } from '../api/problem-details.js';

/** The operators' endpoints answer errors as RFC 9457 problem details. */
export const ADMIN_PROBLEMS = problemDetails(COMMON_PROBLEMS);
