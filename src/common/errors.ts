// Errors are values with AWS names: the protocol layer renders them in the client's wire format.

export type Fault = 'client' | 'server';

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fault: Fault;

  constructor(code: string, message: string, status = 400, fault: Fault = status >= 500 ? 'server' : 'client') {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fault = fault;
  }
}

/** Raised by a handler for bad input; `code` is the service's own validation error name. */
export const clientError = (code: string, message: string, status = 400) => new AwsError(code, message, status);

export const notImplemented = (service: string, operation: string) =>
  new AwsError('NotImplemented', `${service}:${operation} is not implemented in Berth yet`, 501, 'server');

export const internalError = (message = 'We encountered an internal error. Please try again.') =>
  new AwsError('InternalFailure', message, 500, 'server');
