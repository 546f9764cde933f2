package dev.stevedore.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.stevedore.e2e.cluster.LocalCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A local cluster whose JVM is killed with SIGKILL leaves its daemons and containers running; the next start
 * must find them by the ledger, remove them, and leave the host as it was once closed.
 */
@Order(1)
class LocalClusterCrashIT {

    @Test
    void aClusterKilledWithSigkillIsCleanedUpByTheNextStartAndTheHostIsLeftAsItWas() throws Exception {
        Map<String, String> kernelBefore = HostState.kernelSettings();
        Path crashedLogs = Path.of("target", "crashed-cluster").toAbsolutePath();
        Files.createDirectories(crashedLogs);
        Path output = Path.of("target", "crashed-cluster.out").toAbsolutePath();
        Process crashed = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LocalCluster.class.getName(), crashedLogs.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofMinutes(3)).until(() -> !crashed.isAlive() || Files.readString(output).contains("local-cluster: ready"));
            assertThat(crashed.isAlive()).as("the first cluster started: %s", output).isTrue();
            String kubeconfig = Files.readString(output).lines().filter(l -> l.strip().startsWith("KUBECONFIG=")).findFirst()
                    .orElseThrow().strip().substring("KUBECONFIG=".length());
            String registry = Files.readString(output).lines().filter(l -> l.strip().startsWith("registry ")).findFirst()
                    .orElseThrow().strip().split(" ")[1].replace(",", "");
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig)))).build()) {
                client.resource(new PodBuilder().withNewMetadata().withName("sleeper").withNamespace("default").endMetadata()
                        .withNewSpec().addNewContainer().withName("sleep").withImage(registry + "/stevedore-test/jre:latest")
                        .withCommand("sleep", "3600").endContainer().endSpec().build()).create();
                await().atMost(Duration.ofMinutes(2)).until(() -> {
                    Pod pod = client.pods().inNamespace("default").withName("sleeper").get();
                    return pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
                });
            }
            assertThat(containerProcess()).as("the Pod's container runs").isPresent();
        } finally {
            crashed.toHandle().destroyForcibly(); // SIGKILL: no shutdown hook, nothing cleaned up
            crashed.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(HostState.kubelet()).as("the kubelet outlives the killed JVM").isPresent();
        assertThat(containerProcess()).as("so does the container").isPresent();
        assertThat(Path.of("/sys/class/net/stv0")).exists();

        try (LocalCluster next = LocalCluster.start(Path.of("target", "after-crash"))) {
            assertThat(containerProcess()).as("the next start removed the old container").isEmpty();
            assertThat(next.client().nodes().withName(LocalCluster.NODE_NAME).get()).isNotNull();
            assertThat(next.client().pods().inNamespace("default").list().getItems()).as("a fresh etcd").isEmpty();
        }

        HostState.assertLeftAsItWas(kernelBefore);
    }

    private static Optional<ProcessHandle> containerProcess() {
        return ProcessHandle.allProcesses().filter(p -> HostState.commandLine(p).equals("sleep 3600")
                        || HostState.commandLine(p).equals("/usr/bin/sleep 3600"))
                .filter(p -> HostState.cgroupOf(p).contains("stevedore-e2e")).findFirst();
    }
}
