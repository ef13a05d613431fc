// Domain errors: each refusal has a stable code, a message a person can read, and an HTTP status.

export const ERRORS = {
  not_found: { status: 404, message: 'This room does not exist or has already vanished.' },
  unauthorized: { status: 401, message: 'Join the room first.' },
  wrong_password: { status: 401, message: 'Wrong password.' },
  forbidden: { status: 403, message: 'Only the room owner can do that.' },
  room_full: { status: 409, message: 'This room is full.' },
  name_taken: { status: 409, message: 'That name is already taken in this room.' },
  name_reserved: { status: 409, message: 'That name belongs to a registered account.' },
  rate_limited: { status: 429, message: 'Too many requests; slow down and try again shortly.' },
  too_many_messages: { status: 429, message: 'You are sending messages too fast.' },
  password_guessing: { status: 429, message: 'Too many wrong passwords for this room; wait a minute.' },
  too_many_password_checks: { status: 429, message: 'Too many password attempts from your address; wait a minute.' },
  busy: { status: 503, message: 'The server is busy; try again in a moment.' },
  storage_unavailable: { status: 503, message: 'Storage is unavailable; nothing was saved. Try again shortly.' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class RoomError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    /** For refusals by a limit: when a new try can succeed (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
}

/** A refusal by a limit, carrying when to try again. */
export const limited = (code: ErrorCode, retryAfterMs: number, message?: string) => new RoomError(code, message, retryAfterMs);
