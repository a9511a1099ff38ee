// Errors a runtime throws. Messages carry the engine's own text so they can become an ECS
// stoppedReason / container `reason` unchanged.

/** The image could not be made available; message starts with "CannotPullContainerError: ". */
export class CannotPullContainerError extends Error {
  constructor(reason: string) {
    super(`CannotPullContainerError: ${reason}`);
    this.name = 'CannotPullContainerError';
  }
}

/** An engine refused a request; `status` is its HTTP status (404 no such container, 409 conflict…). */
export class RuntimeError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'RuntimeError';
    this.status = status;
  }
}

export const isNotFound = (err: unknown) => err instanceof RuntimeError && err.status === 404;
