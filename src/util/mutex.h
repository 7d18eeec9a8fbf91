// ftcapture's mutex and condition variable: absl::Mutex and absl::CondVar,
// made visible to ThreadSanitizer.
//
// Why a wrapper: Debian's Abseil is not built with -fsanitize=thread, so its
// built-in TSan annotations are compiled out and TSan cannot see absl::Mutex
// lock and unlock (they happen in uninstrumented code through futexes). It
// then reports every access guarded by an absl::Mutex as a data race.
//
// How: under TSan (gcc's __SANITIZE_THREAD__ or clang's
// __has_feature(thread_sanitizer)) each operation is bracketed with the
// public __tsan_mutex_* annotations of <sanitizer/tsan_interface.h>, which
// are meant for exactly this: mutexes TSan cannot see into. We chose that
// over swapping in std::mutex under TSan because then the code TSan checks
// is the code that ships (absl::Mutex, its AssertHeld, its fairness), TSan's
// lock-order (deadlock) detector still sees every lock, and nothing changes
// behaviour between builds. Without TSan the annotations compile to nothing
// and every call is a direct inline call to Abseil.
//
// CondVar::Wait releases and retakes the mutex inside Abseil; we tell TSan
// "unlocked" just before and "locked" just after, which is a subset of the
// real hold time, so TSan can only see fewer protected accesses, never
// invent a synchronisation that did not happen.
//
// Deliberately not offered: absl::Condition-based Await/LockWhen (Abseil
// evaluates conditions on other threads while the lock is held, which the
// annotations cannot describe) and reader locks (nothing needs them). Use a
// CondVar and a loop instead.

#ifndef FTCAPTURE_SRC_UTIL_MUTEX_H_
#define FTCAPTURE_SRC_UTIL_MUTEX_H_

#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

#if defined(__SANITIZE_THREAD__)
#define FTCAPTURE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FTCAPTURE_TSAN 1
#endif
#endif

#ifdef FTCAPTURE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace ftcapture {

class CondVar;

// A non-reentrant exclusive lock (absl::Mutex). Works with ABSL_GUARDED_BY
// and the other thread-safety annotations.
class ABSL_LOCKABLE Mutex {
 public:
#ifdef FTCAPTURE_TSAN
  Mutex() { __tsan_mutex_create(this, __tsan_mutex_not_static); }
  ~Mutex() { __tsan_mutex_destroy(this, __tsan_mutex_not_static); }
#else
  Mutex() = default;
#endif
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_lock(this, 0);
#endif
    mu_.Lock();
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_post_lock(this, 0, 0);
#endif
  }

  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
#endif
    const bool locked = mu_.TryLock();
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_post_lock(
        this,
        __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
#endif
    return locked;
  }

  void Unlock() ABSL_UNLOCK_FUNCTION() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_unlock(this, 0);
#endif
    mu_.Unlock();
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_post_unlock(this, 0);
#endif
  }

  // Dies (in debug builds) unless the calling thread holds the lock.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }

  // Shared (reader) locking: many readers, or one Lock() holder.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
#endif
    mu_.ReaderLock();
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_post_lock(this, __tsan_mutex_read_lock, 0);
#endif
  }

  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
#endif
    mu_.ReaderUnlock();
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
#endif
  }

 private:
  friend class CondVar;

  // Tells TSan the lock was released / retaken around a CondVar wait, in
  // which Abseil really releases and retakes `mu_`.
  void AnnotateReleasedForWait() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_unlock(this, 0);
    __tsan_mutex_post_unlock(this, 0);
#endif
  }
  void AnnotateRetakenAfterWait() {
#ifdef FTCAPTURE_TSAN
    __tsan_mutex_pre_lock(this, 0);
    __tsan_mutex_post_lock(this, 0, 0);
#endif
  }

  absl::Mutex mu_;
};

// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// absl::CondVar for a Mutex. As with any condition variable, wake-ups may
// be spurious: wait in a loop that re-checks the condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Releases `mu` (which the caller holds), waits for a Signal, retakes it.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    mu->AnnotateReleasedForWait();
    cv_.Wait(&mu->mu_);
    mu->AnnotateRetakenAfterWait();
  }
  // Like Wait but gives up after `timeout`; returns true on timeout.
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    mu->AnnotateReleasedForWait();
    const bool timed_out = cv_.WaitWithTimeout(&mu->mu_, timeout);
    mu->AnnotateRetakenAfterWait();
    return timed_out;
  }
  void Signal() { cv_.Signal(); }
  void SignalAll() { cv_.SignalAll(); }

 private:
  absl::CondVar cv_;
};

// For objects handed between threads through a library TSan cannot see
// into (gRPC): HandoffReleased(addr) after this thread's last write,
// HandoffAcquired(addr) on the thread that takes the object over, before
// it touches it. No-ops without TSan.
inline void HandoffReleased(const void* addr) {
#ifdef FTCAPTURE_TSAN
  __tsan_release(const_cast<void*>(addr));
#else
  (void)addr;
#endif
}
inline void HandoffAcquired(const void* addr) {
#ifdef FTCAPTURE_TSAN
  __tsan_acquire(const_cast<void*>(addr));
#else
  (void)addr;
#endif
}

// One callback of an object that such a library calls back on any of its
// threads, one callback after another (a gRPC reactor's On*()): acquires on
// entry what the code that started it released, and releases on exit for
// the next callback. Not for a callback after which the object is deleted.
class HandoffScope {
 public:
  explicit HandoffScope(const void* addr) : addr_(addr) {
    HandoffAcquired(addr_);
  }
  ~HandoffScope() { HandoffReleased(addr_); }
  HandoffScope(const HandoffScope&) = delete;
  HandoffScope& operator=(const HandoffScope&) = delete;

 private:
  const void* const addr_;
};

// One value handed from the thread that completes an asynchronous call to
// the thread that waits for it: the synchronous form of a call that takes a
// completion callback. Set() once; Wait() returns the value. The waiter may
// destroy the slot as soon as Wait() returns (it retakes the lock Set()
// released, as absl::Notification does).
template <typename T>
class ResultSlot {
 public:
  void Set(T value) {
    MutexLock lock(&mu_);
    value_.emplace(std::move(value));
    set_.Signal();
  }
  T Wait() {
    MutexLock lock(&mu_);
    while (!value_.has_value()) set_.Wait(&mu_);
    return *std::move(value_);
  }

 private:
  Mutex mu_;
  CondVar set_;
  std::optional<T> value_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_UTIL_MUTEX_H_
