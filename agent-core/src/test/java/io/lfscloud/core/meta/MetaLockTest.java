package io.lfscloud.core.meta;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetaLockTest {

    @TempDir
    Path git;

    @Test
    void oneHolderAtATime() throws Exception {
        MetaLock lock = new MetaLock(git.resolve("lfs-cloud.lock"), Duration.ofSeconds(30));
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int round = 0; round < 20; round++) {
                    try (MetaLock.Held held = lock.acquire()) {
                        most.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Thread.sleep(1);
                        inside.decrementAndGet();
                    } catch (IOException | InterruptedException | RuntimeException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), failures);
        assertEquals(1, most.get(), "never two holders at once");
    }

    @Test
    void contentionBeyondTheWaitIsAClearErrorAndTheLockIsFreeAfterwards() throws Exception {
        Path file = git.resolve("lfs-cloud.lock");
        MetaLock lock = new MetaLock(file, Duration.ofMillis(300));
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            try (MetaLock.Held held = lock.acquire()) {
                taken.countDown();
                release.await();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        taken.await();
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, lock::acquire);
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waited >= 250 && waited < 5_000, "waited " + waited + " ms");
        assertTrue(e.getMessage().startsWith("another git lfs-cloud command is changing .gitattributes or .lfs-meta")
                && e.getMessage().contains(file.toString()), e.getMessage());
        release.countDown();
        holder.join();
        lock.acquire().close();
    }

    @Test
    void anotherProcessHoldingTheFileLockIsWaitedFor() throws Exception {
        Path file = git.resolve("lfs-cloud.lock");
        Path holder = Files.writeString(git.resolve("Holder.java"), """
                import java.nio.channels.FileChannel;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;
                public class Holder {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                             var l = c.lock()) {
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process other = new ProcessBuilder(java, holder.toString(), file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            IOException e = assertThrows(IOException.class, () -> new MetaLock(file, Duration.ofMillis(300)).acquire());
            assertTrue(e.getMessage().startsWith("another git lfs-cloud command"), e.getMessage());
            other.getOutputStream().close(); // the other process lets go and ends
            new MetaLock(file, Duration.ofSeconds(30)).acquire().close();
        } finally {
            other.destroyForcibly();
            other.waitFor();
        }
    }
}
