// runc's error wording (libcontainer/error.go): engines match these strings.
export class RuntimeError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export const ERR_EXISTS = "container with given ID already exists";
export const ERR_INVALID_ID = "invalid container ID format";
export const ERR_NOT_EXIST = "container does not exist";
export const ERR_NOT_RUNNING = "container not running";
export const ERR_PAUSED = "container paused";
export const ERR_STILL_RUNNING = "container still running";
