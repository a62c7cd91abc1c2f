package ai.sovereign.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching gives each sequence exactly what it would get alone, and lets sequences come and go. */
class BatchSchedulerTest {
    private static LanguageModel model;
    private static final String[] PROMPTS = {
        "Once upon a time", "The little dog", "One day, Lily went to the park and", "Tom had a red ball",
        "The sun was", "She said", "There was a big tree in the garden. Every day", "Mom",
    };

    @BeforeAll
    static void load() throws Exception {
        model = LanguageModel.load(Fixtures.shared("models/stories260K.gguf"), 256);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(String text) {
        return model.tokenizer().encode(text, true, false);
    }

    @Test
    void batchedGreedyOutputsEqualSingleSequenceOutputs() throws Exception {
        GenerationSettings settings = GenerationSettings.of(40, SamplingSettings.greedy());
        try (BatchScheduler scheduler = new BatchScheduler(model, 4, 16, 16)) {
            List<BatchScheduler.Ticket> tickets = new ArrayList<>();
            for (String p : PROMPTS) {
                tickets.add(scheduler.submit(prompt(p), settings, null));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationResult batched = tickets.get(i).result().get(30, TimeUnit.SECONDS);
                GenerationResult alone = Generator.generate(model.newSession(), model.tokenizer(), prompt(PROMPTS[i]), settings, null);
                assertArrayEquals(alone.tokens(), batched.tokens(), PROMPTS[i]);
                assertEquals(alone.text(), batched.text());
            }
            assertTrue(scheduler.steps() < 8 * 40, "sequences shared steps: " + scheduler.steps());
        }
    }

    @Test
    void sampledOutputsWithSeedsAreReproducibleUnderBatching() throws Exception {
        GenerationSettings settings = GenerationSettings.of(30, SamplingSettings.defaults(99));
        try (BatchScheduler scheduler = new BatchScheduler(model, 8, 16, 64)) {
            List<BatchScheduler.Ticket> tickets = new ArrayList<>();
            for (String p : PROMPTS) {
                tickets.add(scheduler.submit(prompt(p), settings, null));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationResult alone = Generator.generate(model.newSession(), model.tokenizer(), prompt(PROMPTS[i]), settings, null);
                assertArrayEquals(alone.tokens(), tickets.get(i).result().get(30, TimeUnit.SECONDS).tokens());
            }
        }
    }

    @Test
    void cancelStopsOneSequenceWithoutDisturbingOthers() throws Exception {
        GenerationSettings settings = GenerationSettings.of(200, SamplingSettings.greedy());
        AtomicInteger afterCancel = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(model, 4, 4, 16)) {
            // the first token may arrive before submit returns: the listener waits for the ticket
            java.util.concurrent.atomic.AtomicReference<BatchScheduler.Ticket> victimTicket = new java.util.concurrent.atomic.AtomicReference<>();
            BatchScheduler.Ticket[] victim = new BatchScheduler.Ticket[1];
            boolean[] cancelled = {false};
            victim[0] = scheduler.submit(prompt("The little dog"), settings, t -> {
                if (cancelled[0]) {
                    afterCancel.incrementAndGet();
                }
                if (t.id() >= 0 && !cancelled[0]) {
                    BatchScheduler.Ticket ticket;
                    while ((ticket = victimTicket.get()) == null) {
                        Thread.onSpinWait();
                    }
                    ticket.cancel();
                    cancelled[0] = true;
                    started.countDown();
                }
                return true;
            });
            victimTicket.set(victim[0]);
            BatchScheduler.Ticket other = scheduler.submit(prompt("Once upon a time"), GenerationSettings.of(50, SamplingSettings.greedy()), null);
            assertTrue(started.await(10, TimeUnit.SECONDS));
            GenerationResult v = victim[0].result().get(10, TimeUnit.SECONDS);
            assertEquals(GenerationResult.FinishReason.CANCELLED, v.finishReason());
            assertEquals(1, v.completionTokens());
            assertEquals(0, afterCancel.get(), "no token after cancel");
            GenerationResult o = other.result().get(10, TimeUnit.SECONDS);
            GenerationResult alone = Generator.generate(model.newSession(), model.tokenizer(), prompt("Once upon a time"),
                    GenerationSettings.of(50, SamplingSettings.greedy()), null);
            assertArrayEquals(alone.tokens(), o.tokens());
        }
    }

    @Test
    void fullQueueRefusesAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BatchScheduler scheduler = new BatchScheduler(model, 1, 1, 8)) {
            BatchScheduler.Ticket blocker = scheduler.submit(prompt("Once"), GenerationSettings.of(100, SamplingSettings.greedy()), t -> {
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            });
            while (scheduler.running() == 0) {
                Thread.onSpinWait();
            }
            BatchScheduler.Ticket queued = scheduler.submit(prompt("Twice"), GenerationSettings.of(2, SamplingSettings.greedy()), null);
            BatchScheduler.QueueFullException full = assertThrows(BatchScheduler.QueueFullException.class,
                    () -> scheduler.submit(prompt("Thrice"), GenerationSettings.of(2, SamplingSettings.greedy()), null));
            assertEquals(1, full.queued());
            blocker.cancel();
            release.countDown();
            assertEquals(GenerationResult.FinishReason.CANCELLED, blocker.result().get(10, TimeUnit.SECONDS).finishReason());
            assertEquals(2, queued.result().get(10, TimeUnit.SECONDS).completionTokens());
        }
    }

    @Test
    void aFailingListenerFailsOnlyItsOwnSequence() throws Exception {
        try (BatchScheduler scheduler = new BatchScheduler(model, 2, 2, 8)) {
            BatchScheduler.Ticket bad = scheduler.submit(prompt("Once"), GenerationSettings.of(10, SamplingSettings.greedy()), t -> {
                throw new IllegalStateException("listener broke");
            });
            BatchScheduler.Ticket good = scheduler.submit(prompt("Twice"), GenerationSettings.of(10, SamplingSettings.greedy()), null);
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.result().get(10, TimeUnit.SECONDS));
            assertEquals("listener broke", e.getCause().getMessage());
            assertEquals(10, good.result().get(10, TimeUnit.SECONDS).completionTokens());
        }
    }

    @Test
    void aSharedPromptPrefixIsReadOnceAndResultsStayIdentical() throws Exception {
        String system = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        GenerationSettings settings = GenerationSettings.of(20, SamplingSettings.greedy());
        try (BatchScheduler scheduler = new BatchScheduler(model, 2, 4, 16)) {
            int[] first = prompt(system + " One day");
            GenerationResult a = scheduler.submit(first, settings, null).result().get(30, TimeUnit.SECONDS);
            assertEquals(0, scheduler.promptTokensReused());
            int[] second = prompt(system + " Her mom");
            GenerationResult b = scheduler.submit(second, settings, null).result().get(30, TimeUnit.SECONDS);
            int shared = 0;
            while (first[shared] == second[shared]) {
                shared++;
            }
            assertEquals(shared, scheduler.promptTokensReused(), "the shared prefix came from the cache");
            assertTrue(shared > 20);
            GenerationResult again = scheduler.submit(first, settings, null).result().get(30, TimeUnit.SECONDS);
            assertTrue(scheduler.promptTokensReused() > shared, "a repeated prompt is read from the cache too");
            assertArrayEquals(Generator.generate(model.newSession(), model.tokenizer(), first, settings, null).tokens(), a.tokens());
            assertArrayEquals(a.tokens(), again.tokens());
            assertArrayEquals(Generator.generate(model.newSession(), model.tokenizer(), second, settings, null).tokens(), b.tokens());
        }
    }

    @Test
    void promptThatFillsTheContextIsRefused() {
        try (BatchScheduler scheduler = new BatchScheduler(model, 1, 1, 8)) {
            int[] tooLong = new int[model.contextLength()];
            java.util.Arrays.fill(tooLong, 1);
            assertThrows(ContextOverflowException.class, () -> scheduler.submit(tooLong, GenerationSettings.of(1, null), null));
        }
    }
}
