/**
 * Shares one in-flight promise between concurrent callers, so a burst of logins
 * right after boot makes one discovery or JWKS request, not one per login.
 */
export class SingleFlight<T> {
  private inFlight?: Promise<T>;

  run(fn: () => Promise<T>): Promise<T> {
    if (!this.inFlight) {
      this.inFlight = fn().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }
}
