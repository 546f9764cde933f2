package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.e2e.sandbox.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The README's main command, the sandbox, run as {@code bin/sandbox} runs it (its main class, in a JVM of its own)
 * for a short while: the operator installed by its chart, a pool of 3 Ready workers, demo jobs, one worker killed
 * with SIGKILL and its jobs shown failed with their cause; at the end nothing is left on the host.
 */
@Order(1)
class SandboxIT {

    @Test
    void theSandboxShowsThePoolKillsAWorkerShowsTheCauseAndLeavesNothingBehind() throws Exception {
        Map<String, String> kernelBefore = HostState.kernelSettings();
        Path output = Path.of("target", "sandbox.out").toAbsolutePath();
        long begin = System.nanoTime();
        Process sandbox = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dstevedore.project.dir=" + RealNode.projectDir(), "-Dstevedore.project.version=" + System.getProperty("stevedore.project.version"),
                "-cp", System.getProperty("java.class.path"), Sandbox.class.getName(),
                "--kill-after", "30s", "--stop-after", "90s", "--logs", Path.of("target", "sandbox").toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean ended = sandbox.waitFor(8, TimeUnit.MINUTES);
        if (!ended) {
            sandbox.destroy(); // SIGTERM: the sandbox tears down as on Ctrl-C
            sandbox.waitFor(2, TimeUnit.MINUTES);
        }
        String shown = Files.readString(output);
        assertThat(ended).as("the sandbox stopped by itself after --stop-after; output in %s", output).isTrue();
        assertThat(sandbox.exitValue()).as(shown).isZero();
        System.out.printf("sandbox: ran and tore down in %.0f s%n", (System.nanoTime() - begin) / 1e9);

        assertThat(shown).contains("installing the operator and the dashboard with the Helm chart", "$ kubectl get jwp -n sandbox", "export KUBECONFIG=");
        assertThat(shown).as("the pool of 3, all Ready, with 3 processes").containsPattern("(?m)^demo\\s+3\\s+3\\s+3\\s+");
        assertThat(shown).containsPattern("jobs: .*completed [1-9]");
        assertThat(shown).containsPattern("killed worker demo-[a-z0-9-]+ \\(its JVM, host pid \\d+\\) with SIGKILL");
        assertThat(shown).contains("failed with ProcessPrunedError").containsPattern("job \\d+: reason \\w+, pod demo-[a-z0-9-]+, node stevedore-node, "
                + "exit code 137 \\(SIGKILL\\)");
        assertThat(shown).as("the dashboard, installed by the chart, shows the kill").containsPattern("sandbox: the dashboard: http://[0-9.]+:8080/ \\(sign in with the token [0-9a-f]{32}")
                .containsPattern("dashboard http://[0-9.]+:8080/prunes: [1-9]\\d* jobs pruned in the last 24h \\(HTTP 200\\)");
        assertThat(shown).contains("sandbox: stopped; nothing is left running");
        HostState.assertLeftAsItWas(kernelBefore);
    }
}
