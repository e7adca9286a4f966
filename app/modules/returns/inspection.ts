/** Inspection passes unless the customer said it came damaged: returns.inspect's default JSONata over {reason, lines}. */
export const DEFAULT_PASS_EXPRESSION = "reason != 'damaged'";
