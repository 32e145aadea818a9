/**
 * A scheduler whose timed work runs only after the event loop has read what I/O is ready. Node runs due timers
 * before it polls sockets, so after the loop was busy (a large batch assembled, a GC pause, a burst decoded) a timer
 * that came due meanwhile fires while readings already in the socket wait: the reorder stage let a held reading go
 * before its older block-mates, received during the stall, were read, and the window stage then refused them out of
 * order (a shuffled QoS 1 burst behind a slow model lost a block of four now and then on a loaded machine). The work
 * is handed to `setImmediate`, which Node runs after that poll; cancelling the timer cancels it too.
 */
import type { SchedulerAction, SchedulerLike } from 'rxjs';

/** `base`, with each scheduled work run after the I/O that is ready when its timer fires. */
export function ioFirst(base: SchedulerLike): SchedulerLike {
  return {
    now: () => base.now(),
    schedule: (<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) => {
      let immediate: ReturnType<typeof setImmediate> | undefined;
      const action = base.schedule<T>(function (this: SchedulerAction<T>, s?: T) {
        const self = this;
        immediate = setImmediate(() => {
          immediate = undefined;
          work.call(self, s);
        });
      }, delay, state);
      action.add(() => {
        if (immediate) clearImmediate(immediate);
        immediate = undefined;
      });
      return action;
    }) as SchedulerLike['schedule'],
  };
}
