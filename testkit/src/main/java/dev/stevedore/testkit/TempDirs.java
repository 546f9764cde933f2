package dev.stevedore.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing the temporary directories the test kit makes. */
public final class TempDirs {

    private TempDirs() {}

    /** Deletes {@code root} and everything under it; a failure is reported, not thrown (this runs in clean-up). */
    public static void delete(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("stevedore-testkit: could not delete " + root + ": " + e.getMessage());
        }
    }
}
