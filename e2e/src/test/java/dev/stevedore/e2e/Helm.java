package dev.stevedore.e2e;

import dev.stevedore.e2e.cluster.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Helm CLI (built by {@code e2e/bin/helm-cli} at the POM's {@code helm.version}), run as a user runs
 * it: against the chart in {@code helm/stevedore-operator}, and against the local cluster when given one.
 */
final class Helm {

    record Result(int exitCode, String output) {
        Result requireSuccess(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed (exit " + exitCode + "):\n" + output);
            }
            return this;
        }
    }

    private Helm() {}

    static Path chart() {
        return RealNode.projectDir().resolve("helm/stevedore-operator");
    }

    static Path binary() {
        String version = System.getProperty("stevedore.helm.version");
        if (version == null) {
            throw new IllegalStateException("no stevedore.helm.version system property: run the tests through Maven");
        }
        Path helm = LocalCluster.cacheRoot().resolve("tools/helm-v" + version + "/helm");
        if (!Files.isExecutable(helm)) {
            throw new IllegalStateException("no Helm CLI at " + helm + ": run e2e/bin/helm-cli (Maven runs it before the tests)");
        }
        return helm;
    }

    /** {@code helm <args>} with no cluster: lint, template. */
    static Result run(String... args) {
        return run(null, args);
    }

    /** {@code helm <args>} against {@code cluster} (its admin kubeconfig), or none when null. */
    static Result run(LocalCluster cluster, String... args) {
        List<String> command = new ArrayList<>(List.of(binary().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // Helm's own state (repositories, cache) under target/, never the user's.
        Path home = Path.of("target", "helm-home").toAbsolutePath();
        builder.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
        builder.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
        builder.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
        if (cluster != null) {
            builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
        } else {
            builder.environment().remove("KUBECONFIG");
        }
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("helm " + String.join(" ", args) + " did not finish in 5 min");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
