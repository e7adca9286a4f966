// The marked minutes of one refresh, as the rollups' statements take them: PostgreSQL array literals of the
// minutes, the hours they fall in, and the business days (in the business's time zone) they fall in.
export interface Marks {
  minutes: Date[];
  /** `{"2026-12-06T10:04:00.000Z",…}` */
  minuteList: string;
  hourList: string;
  /** `{2026-12-06,…}` */
  dayList: string;
}

const timestamps = (ds: Date[]) => `{${ds.map((d) => `"${d.toISOString()}"`).join(',')}}`;

export function marksOf(minutes: Date[], timeZone: string): Marks {
  const day = new Intl.DateTimeFormat('en-CA', { timeZone });
  return {
    minutes,
    minuteList: timestamps(minutes),
    hourList: timestamps([...new Set(minutes.map((m) => Math.floor(m.getTime() / 3_600_000) * 3_600_000))].map((t) => new Date(t))),
    dayList: `{${[...new Set(minutes.map((m) => day.format(m)))].join(',')}}`,
  };
}
