package io.sightline.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sightline.store.LeaderLock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LeadershipTest {

  /** A lock another replica holds until {@code free} is set. */
  static final class FakeLock implements LeaderLock {
    final AtomicBoolean free = new AtomicBoolean();
    final AtomicInteger tries = new AtomicInteger();
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public boolean tryHold() {
      tries.incrementAndGet();
      return free.get();
    }

    @Override
    public String describe() {
      return "fake";
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  @Test
  @DisplayName(
      "a replica leads only while it holds the lock, takes over when it frees, and lets go on close")
  void followsTheLock() {
    FakeLock lock = new FakeLock();
    Leadership l = new Leadership(lock, Duration.ofMillis(50), "test").start();
    assertThat(l.isLeader()).as("another replica holds the lock").isFalse();
    lock.free.set(true);
    await().atMost(Duration.ofSeconds(5)).until(l::isLeader);
    lock.free.set(false);
    await().atMost(Duration.ofSeconds(5)).until(() -> !l.isLeader());
    lock.free.set(true);
    await().atMost(Duration.ofSeconds(5)).until(l::isLeader);
    l.close();
    assertThat(l.isLeader()).isFalse();
    assertThat(lock.closed).isTrue();
  }

  @Test
  @DisplayName("the first check happens in start(), so the first reaper pass already knows")
  void firstCheckIsSynchronous() {
    FakeLock lock = new FakeLock();
    lock.free.set(true);
    try (Leadership l = new Leadership(lock, Duration.ofMinutes(1), "test").start()) {
      assertThat(l.isLeader()).isTrue();
      assertThat(lock.tries).hasValue(1);
    }
  }

  @Test
  @DisplayName("a lock that throws means not leading, never a dead scheduler")
  void failingLockMeansNotLeading() {
    AtomicInteger calls = new AtomicInteger();
    LeaderLock failing =
        new LeaderLock() {
          @Override
          public boolean tryHold() {
            if (calls.incrementAndGet() % 2 == 1) {
              throw new IllegalStateException("database gone");
            }
            return true;
          }

          @Override
          public String describe() {
            return "flaky";
          }

          @Override
          public void close() {}
        };
    try (Leadership l = new Leadership(failing, Duration.ofMillis(30), "test").start()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() >= 6);
      assertThat(calls.get()).isGreaterThanOrEqualTo(6);
    }
  }
}
