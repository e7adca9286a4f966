// JSONata evaluated with bounds, wherever the web process evaluates an expression that a user wrote
// (simulation, binding filters): a time budget and a nesting limit, checked on every step the evaluator
// takes (its __evaluate_entry / __evaluate_exit hooks), so no expression can hold the process.
import jsonata from 'jsonata';

const EXPRESSION_LIMITS = { timeoutMs: 250, maxDepth: 300 } as const;

export class ExpressionLimitError extends Error {
  readonly code: 'expression_timeout' | 'expression_too_deep';
  constructor(code: 'expression_timeout' | 'expression_too_deep', message: string) {
    super(message);
    this.name = 'ExpressionLimitError';
    this.code = code;
  }
}

/** Evaluates `expression` against `data`; throws the parse or evaluation error, or an ExpressionLimitError. */
export async function evaluateBounded(
  expression: string,
  data: unknown,
  limits: { timeoutMs: number; maxDepth: number } = EXPRESSION_LIMITS,
): Promise<unknown> {
  const compiled = jsonata(expression);
  const deadline = Date.now() + limits.timeoutMs;
  let depth = 0;
  const check = () => {
    if (depth > limits.maxDepth) throw new ExpressionLimitError('expression_too_deep', `The expression nests deeper than ${limits.maxDepth} steps.`);
    if (Date.now() > deadline) throw new ExpressionLimitError('expression_timeout', `The expression ran longer than ${limits.timeoutMs} ms.`);
  };
  const assign = compiled.assign as (name: string | symbol, value: unknown) => void;
  assign(Symbol.for('jsonata.__evaluate_entry'), () => {
    depth++;
    check();
  });
  assign(Symbol.for('jsonata.__evaluate_exit'), () => {
    depth--;
    check();
  });
  return compiled.evaluate(data);
}
