// Domain errors: each refusal has a stable code, a message a person can read, and an HTTP status.

export const ERRORS = {
  not_found: { status: 404, message: 'This room does not exist or has already vanished.' },
  unauthorized: { status: 401, message: 'Join the room first.' },
  wrong_password: { status: 401, message: 'Wrong password.' },
  forbidden: { status: 403, message: 'Only the room owner can do that.' },
  room_full: { status: 409, message: 'This room is full.' },
  name_taken: { status: 409, message: 'That name is already taken in this room.' },
  name_reserved: { status: 409, message: 'That name belongs to a registered account.' },
  room_locked: { status: 423, message: 'This room is locked: the owner is not letting anyone new in.' },
  name_banned: { status: 403, message: 'The owner removed that name from this room.' },
  pending_approval: { status: 403, message: 'The owner has not let you in yet. Wait here; this page updates when they decide.' },
  join_denied: { status: 403, message: 'The owner did not let you in.' },
  request_expired: { status: 403, message: 'Your request to join was not answered in time. You can ask again.' },
  request_not_found: { status: 404, message: 'No such join request: it was answered, lapsed, or never made.' },
  member_not_found: { status: 404, message: 'Nobody by that name is in this room.' },
  invalid_target: { status: 400, message: 'You cannot do that to yourself.' },
  extend_limit: { status: 409, message: 'This room cannot last any longer.' },
  too_many_requests: { status: 429, message: 'Too many people are waiting to join this room; try again later.' },
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
