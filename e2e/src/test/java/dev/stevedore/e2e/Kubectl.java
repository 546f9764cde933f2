package dev.stevedore.e2e;

import dev.stevedore.e2e.cluster.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real kubectl against the local cluster, as a user would type it. */
final class Kubectl {

    record Result(int exitCode, String output) {}

    private Kubectl() {}

    static Result run(LocalCluster cluster, String... args) {
        return runWithInput(cluster, null, args);
    }

    /** kubectl with {@code input} on its standard input ({@code apply -f -}), or none when null. */
    static Result runWithInput(LocalCluster cluster, String input, String... args) {
        List<String> command = new ArrayList<>(List.of(cluster.kubectlBinary().toString(), "--kubeconfig=" + cluster.kubeconfig()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("kubectl " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a long-running kubectl (logs -f, say) whose output goes to a file. */
    static Process start(LocalCluster cluster, java.nio.file.Path output, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(cluster.kubectlBinary().toString(), "--kubeconfig=" + cluster.kubeconfig()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }
}
