/** Errors the HTTP layer turns into OperationOutcome bodies (never a stack trace). */

export type IssueCode = 'invalid' | 'structure' | 'not-found' | 'not-supported' | 'too-long' | 'login' | 'throttled' | 'incomplete' | 'exception' | 'timeout' | 'transient';

export interface OutcomeIssue {
  severity: 'error' | 'warning';
  code: IssueCode;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
}

export function operationOutcome(issues: OutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** An error with an HTTP status and the OperationOutcome issues to send. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly issues: OutcomeIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.map((i) => i.diagnostics).join('; '));
  }

  static of(status: number, code: IssueCode, diagnostics: string, expression?: string[]): HttpError {
    const issue: OutcomeIssue = { severity: 'error', code, diagnostics };
    if (expression?.length) issue.expression = expression;
    return new HttpError(status, [issue]);
  }
}
