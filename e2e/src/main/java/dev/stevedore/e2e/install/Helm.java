package dev.stevedore.e2e.install;

import dev.stevedore.e2e.cluster.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Helm CLI, as {@code e2e/bin/helm-cli} builds it at the POM's {@code helm.version}, run as a user runs it:
 * against the chart in {@code helm/stevedore-operator}, and against the local cluster when given one. Its own state
 * (repositories, cache) lives under {@code target/helm-home}, never the user's.
 */
public final class Helm {

    public record Result(int exitCode, String output) {
        public Result requireSuccess(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed (exit " + exitCode + "):\n" + output);
            }
            return this;
        }
    }

    private static Path binary;

    private final Path projectDir;

    public Helm(Path projectDir) {
        this.projectDir = projectDir;
    }

    public Path chart() {
        return projectDir.resolve("helm/stevedore-operator");
    }

    /** {@code helm <args>} with no cluster: lint, template. */
    public Result run(String... args) {
        return run(null, args);
    }

    /** {@code helm <args>} against {@code cluster} (its admin kubeconfig), or none when null. */
    public Result run(LocalCluster cluster, String... args) {
        List<String> command = new ArrayList<>(List.of(binary(projectDir).toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Path home = projectDir.resolve("e2e/target/helm-home");
        builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
        builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
        builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
        if (cluster != null) {
            builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        } else {
            builder.environment().remove("KUBECONFIG");
        }
        return execute(builder, "helm " + String.join(" ", args));
    }

    /** The binary {@code e2e/bin/helm-cli} prints (building it the first time), found once per JVM. */
    static synchronized Path binary(Path projectDir) {
        if (binary == null) {
            Result found = execute(new ProcessBuilder("bash", projectDir.resolve("e2e/bin/helm-cli").toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD), "e2e/bin/helm-cli").requireSuccess("e2e/bin/helm-cli");
            Path helm = Path.of(found.output().strip());
            if (!Files.isExecutable(helm)) {
                throw new IllegalStateException("e2e/bin/helm-cli printed no Helm binary: " + found.output());
            }
            binary = helm;
        }
        return binary;
    }

    private static Result execute(ProcessBuilder builder, String what) {
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " did not finish in 10 min");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
