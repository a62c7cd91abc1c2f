package ai.sovereign.server.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Weighted fair queuing of one model's slots: shares, priority, borrowing and the bounded queue. */
class FairQueueTest {
    private static final long WAIT = 10_000;

    /** Queues requests behind a held slot, then releases one at a time and records who ran. */
    private static List<String> order(FairQueue q, List<String[]> requests) throws Exception {
        FairQueue.Slot holder = (FairQueue.Slot) q.acquire("holder", 1, Tenant.Priority.NORMAL, 1, WAIT);
        List<String> ran = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (String[] r : requests) {
            int before = q.queued();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    FairQueue.Slot s = (FairQueue.Slot) q.acquire(r[0], Integer.parseInt(r[1]), Tenant.Priority.parse(r[2]), 100, WAIT);
                    synchronized (ran) {
                        ran.add(r[0]);
                    }
                    s.close();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            threads.add(t);
            while (q.queued() == before) {
                Thread.onSpinWait();
            }
        }
        holder.close();
        for (Thread t : threads) {
            t.join(WAIT);
        }
        return ran;
    }

    @Test
    void saturatedTenantsShareByWeight() throws Exception {
        FairQueue q = new FairQueue("m", 1, 1000);
        List<String[]> requests = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            requests.add(new String[] {"a", "3", "normal"});
            requests.add(new String[] {"b", "1", "normal"});
        }
        List<String> ran = order(q, requests);
        List<String> first = ran.subList(0, 80);
        long a = first.stream().filter("a"::equals).count();
        assertEquals(60, a, "while both wait, a runs 3 of every 4: " + first);
    }

    @Test
    void threadsSaturatingOneModelGetThroughputWithinTenPercentOfTheirWeights() throws Exception {
        FairQueue q = new FairQueue("m", 2, 1000);
        Map<String, AtomicLong> served = new ConcurrentHashMap<>(Map.of("a", new AtomicLong(), "b", new AtomicLong()));
        AtomicBoolean measuring = new AtomicBoolean(), stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (String tenant : List.of("a", "b")) {
            for (int i = 0; i < 6; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        try {
                            FairQueue.Outcome o = q.acquire(tenant, tenant.equals("a") ? 3 : 1, Tenant.Priority.NORMAL, 100, WAIT);
                            FairQueue.Slot s = (FairQueue.Slot) o;
                            try {
                                Thread.sleep(1);
                                if (measuring.get()) {
                                    served.get(tenant).incrementAndGet();
                                }
                            } finally {
                                s.close();
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }));
            }
        }
        Thread.sleep(100);
        measuring.set(true);
        Thread.sleep(1_000);
        measuring.set(false);
        stop.set(true);
        for (Thread t : threads) {
            t.join(WAIT);
        }
        double ratio = (double) served.get("a").get() / served.get("b").get();
        assertTrue(served.get("b").get() > 20, "enough samples: " + served);
        assertEquals(3.0, ratio, 0.3, "a:b = " + served);
    }

    @Test
    void aHigherPriorityRequestOvertakesTheQueueButPreemptsNothing() throws Exception {
        FairQueue q = new FairQueue("m", 1, 1000);
        List<String[]> requests = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            requests.add(new String[] {"bulk", "100", "normal"});
        }
        requests.add(new String[] {"urgent", "1", "high"});
        requests.add(new String[] {"later", "100", "low"});
        List<String> ran = order(q, requests);
        assertEquals("urgent", ran.getFirst(), "the high-priority request runs next, after the held slot: " + ran);
        assertEquals("later", ran.getLast());
        assertEquals(12, ran.size());
        assertEquals(0, q.running());
    }

    @Test
    void aLoneTenantBorrowsTheIdleShare() throws Exception {
        FairQueue q = new FairQueue("m", 4, 0);
        List<FairQueue.Slot> slots = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slots.add(assertInstanceOf(FairQueue.Slot.class, q.acquire("small", 1, Tenant.Priority.LOW, 1000, 0)));
        }
        assertEquals(4, q.running());
        slots.forEach(FairQueue.Slot::close);
        assertEquals(0, q.running());
    }

    @Test
    void aFullQueueRefusesAtOnceWithRetryAfter() throws Exception {
        FairQueue q = new FairQueue("m", 1, 2);
        FairQueue.Slot running = (FairQueue.Slot) q.acquire("a", 1, Tenant.Priority.NORMAL, 1, 0);
        CountDownLatch queued = new CountDownLatch(2);
        AtomicInteger got = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            Thread.ofVirtual().start(() -> {
                queued.countDown();
                try {
                    FairQueue.Slot s = (FairQueue.Slot) q.acquire("b", 1, Tenant.Priority.NORMAL, 1, WAIT);
                    got.incrementAndGet();
                    s.close();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
        }
        queued.await();
        while (q.queued() < 2) {
            Thread.onSpinWait();
        }
        long t0 = System.nanoTime();
        FairQueue.Full full = assertInstanceOf(FairQueue.Full.class, q.acquire("c", 1, Tenant.Priority.HIGH, 1, WAIT));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < WAIT / 2, "refused without waiting");
        assertEquals(3, full.retryAfterSeconds(), "one slot, two waiting and this one: 3 holds of 1 s (the estimate before any slot ended)");
        assertTrue(full.message().contains("2 of 2 queued"), full.message());
        FairQueue other = new FairQueue("n", 1, 5);
        assertInstanceOf(FairQueue.Slot.class, other.acquire("x", 1, Tenant.Priority.NORMAL, 1, 0));
        FairQueue.Full timedOut = assertInstanceOf(FairQueue.Full.class, other.acquire("y", 1, Tenant.Priority.NORMAL, 1, 50));
        assertEquals(0, other.queued(), "a request that gave up leaves the queue");
        assertTrue(timedOut.message().contains("no slot within 50 ms"), timedOut.message());
        running.close();
        while (got.get() < 2) {
            Thread.onSpinWait();
        }
        assertEquals(0, q.running());
    }
}
