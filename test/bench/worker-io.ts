/** What a job running inside a bench worker (worker.ts) can do with its parent. */
export interface WorkerIO {
  /** A fresh temp directory for this job's data; the worker removes it when it exits, however it exits. */
  dir: string
  /** One progress line, printed by the parent. */
  progress: (line: string) => void
  /** A job-specific message to the parent. */
  send: (msg: { type: string, [key: string]: unknown }) => Promise<void>
  /** The next job-specific message of `type` from the parent. */
  next: <T>(type: string) => Promise<T>
}
