package dev.stevedore.worker;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import jakarta.inject.Inject;

/**
 * The worker process. The environment is checked before anything starts, so a bad value ends the process
 * at once with one line naming the variable (exit code 1).
 */
@QuarkusMain
public class WorkerMain implements QuarkusApplication {

    @Inject
    WorkerService service;

    public static void main(String... args) {
        try {
            WorkerSettings.fromEnvironment(System.getenv());
        } catch (WorkerSettings.InvalidSetting e) {
            System.err.println("stevedore-worker: " + e.getMessage());
            System.exit(1);
        }
        // SIGTERM and SIGINT mean a graceful stop that ends with exit code 0. Left to the JVM they would
        // run the same shutdown but exit with 143/130, which reads as a crash.
        for (String signal : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> Quarkus.asyncExit(0));
        }
        Quarkus.run(WorkerMain.class, args);
    }

    @Override
    public int run(String... args) {
        service.start(WorkerSettings.fromEnvironment(System.getenv()));
        Quarkus.waitForExit();
        return 0;
    }
}
