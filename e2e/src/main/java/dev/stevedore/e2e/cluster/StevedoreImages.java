package dev.stevedore.e2e.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The worker, operator and dashboard images, built by the Quarkus Jib extension with the command the README gives
 * users, pointed at the local cluster's registry and base image:
 *
 * <pre>
 * ./mvnw -pl worker-image,operator,dashboard -am package -DskipTests -Dquarkus.container-image.build=true \
 *     -Dquarkus.container-image.push=true -Dquarkus.container-image.registry=REGISTRY
 * </pre>
 *
 * plus {@code -Dquarkus.container-image.insecure=true} (the local registry speaks plain HTTP) and
 * {@code -Dquarkus.jib.base-jvm-image=<the Debian JRE image>} (the product's default base cannot be pulled here).
 */
public record StevedoreImages(String worker, String operator, String dashboard, Duration buildTime) {

    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

    public static StevedoreImages build(LocalCluster cluster, Path projectDir, String version) {
        List<String> command = new ArrayList<>(List.of(projectDir.resolve("mvnw").toString(), "-B", "-q",
                "-pl", "worker-image,operator,dashboard", "-am", "package", "-DskipTests",
                "-Dquarkus.container-image.build=true",
                "-Dquarkus.container-image.push=true",
                "-Dquarkus.container-image.registry=" + cluster.registry(),
                // Test overrides: a plain-HTTP registry on loopback, and the base image built from Debian packages.
                "-Dquarkus.container-image.insecure=true",
                "-Dquarkus.jib.base-jvm-image=" + cluster.baseImage("jre"),
                // The outer build already made the Kubernetes binaries.
                "-Dkube.binaries.skip=true"));
        Path log = cluster.logDirectory().resolve("image-build.log");
        long begin = System.nanoTime();
        try {
            Files.createDirectories(log.getParent());
            Process process = new ProcessBuilder(command).directory(projectDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(BUILD_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("the image build did not finish in " + BUILD_TIMEOUT.toMinutes() + " min; see " + log);
            }
            if (process.exitValue() != 0) {
                List<String> lines = Files.readAllLines(log);
                throw new IllegalStateException("the image build failed (exit " + process.exitValue() + "):\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building images", e);
        }
        String prefix = cluster.registry() + "/stevedore/";
        return new StevedoreImages(prefix + "worker:" + version, prefix + "operator:" + version, prefix + "dashboard:" + version,
                Duration.ofNanos(System.nanoTime() - begin));
    }
}
