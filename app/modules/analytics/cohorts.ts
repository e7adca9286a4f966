// The cohort report's choices, shared by the server and the page: how many business months it shows.
export const COHORT_MONTHS = [6, 12, 18, 24] as const;
