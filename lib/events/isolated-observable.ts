import { Observable, type Observer, type Operator, type Subscription } from 'rxjs';

type Report = (err: unknown) => void;

/**
 * An Observable whose subscribers cannot hurt the emitter or each other. RxJS
 * rethrows an error of a subscriber's callback on a timer, and Node ends the
 * process for it: one throwing `tokenUpdate$` subscriber would take the app down
 * mid-refresh. Here every callback (also at the end of a `pipe()`, which `lift`
 * keeps isolated) is guarded, and an error notification nobody handles is
 * reported instead of rethrown.
 */
export class IsolatedObservable<T> extends Observable<T> {
  constructor(
    subscribe: ((this: Observable<T>, subscriber: import('rxjs').Subscriber<T>) => import('rxjs').TeardownLogic) | undefined,
    private readonly report: Report,
  ) {
    super(subscribe);
  }

  /** Wraps a source, e.g. `subject.asObservable()`. */
  static of<T>(source: Observable<T>, report: Report): IsolatedObservable<T> {
    return new IsolatedObservable<T>((subscriber) => source.subscribe(subscriber), report);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const next = new IsolatedObservable<R>(undefined, this.report);
    next.source = this;
    next.operator = operator;
    return next;
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    const given: Partial<Observer<T>> = typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
    const guard =
      <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
      (...args: A): void => {
        if (!fn) return;
        try {
          fn.apply(given, args);
        } catch (err) {
          this.report(err);
        }
      };
    return super.subscribe({
      next: guard(given.next),
      error: given.error ? guard(given.error) : (err: unknown) => this.report(err),
      complete: guard(given.complete),
    });
  }
}
