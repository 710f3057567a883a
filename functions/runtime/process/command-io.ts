// What a command needs from its process: output streams and the environment, passed in so a test
// can run a command without touching the real process.
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}
