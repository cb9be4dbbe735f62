// MARK: - Ctrl-C and SIGTERM: ask the training loop to save and stop

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal that asked the run to stop (0: none yet). Set from the signal handler, read by the
/// training loop between steps; an atomic store is safe inside a handler.
let stopSignal = Atomic<Int32>(0)

/// From now on, SIGINT and SIGTERM set `stopSignal` instead of killing the process; a second
/// signal of either kind kills it as usual.
func catchStopSignals() {
    // A parent may have started this process with these signals blocked (the mask is inherited):
    // unblock them, or Ctrl-C would wait forever.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    for number in [SIGINT, SIGTERM] {
        signal(number) { received in
            stopSignal.store(received, ordering: .relaxed)
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
    }
}
