package dev.stevedore.queue;

import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A {@link ChildWorker} JVM, and real signals to end it. Public for the tests of other modules (the dashboard's). */
public final class ChildProcess implements AutoCloseable {

    public final Process process;
    public final long processId;

    private ChildProcess(Process process, long processId) {
        this.process = process;
        this.processId = processId;
    }

    public static ChildProcess start(TestDatabase db, String pool, String queues, Map<String, String> extraEnv) throws Exception {
        Process process = launch(db, pool, queues, extraEnv);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Long> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("READY ")) {
                        long id = Long.parseLong(line.substring(6).trim());
                        drain(out);
                        return id;
                    }
                }
                throw new IllegalStateException("child worker exited before it was ready");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            return new ChildProcess(process, ready.get(60, TimeUnit.SECONDS));
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /**
     * Starts the child without waiting for it to be ready: for a child that may claim a job that halts it before
     * it can say so. Its output is discarded.
     */
    static Process launchDiscardingOutput(TestDatabase db, String pool, String queues, Map<String, String> extraEnv) throws Exception {
        Process process = launch(db, pool, queues, extraEnv);
        drain(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)));
        return process;
    }

    private static Process launch(TestDatabase db, String pool, String queues, Map<String, String> extraEnv) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ChildWorker.class.getName());
        builder.environment().put("CHILD_DB_URL", db.jdbcUrl());
        builder.environment().put("CHILD_DB_USER", db.user() == null ? "" : db.user());
        builder.environment().put("CHILD_DB_PASSWORD", db.password() == null ? "" : db.password());
        builder.environment().put("CHILD_POOL", pool);
        builder.environment().put("CHILD_QUEUES", queues);
        builder.environment().putAll(extraEnv);
        builder.redirectErrorStream(true);
        return builder.start();
    }

    /** Keeps reading the child's output so it never blocks on a full pipe. */
    private static void drain(BufferedReader out) {
        Thread t = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // the child is gone
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
    }

    public long pid() {
        return process.pid();
    }

    /** Sends a signal with kill(1), e.g. KILL or TERM, and waits for the process to end. */
    public int signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-s", signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -s " + signal + " " + process.pid() + " failed");
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child " + process.pid() + " still running after SIG" + signal);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
