// Errors of planning: the message names the config field, as validation errors do.
export class PlanError extends Error {}
