package dev.stevedore.queue;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Who a worker process is, as recorded in its process row: pool ({@code namespace/name} on Kubernetes),
 * Pod name and uid and node (from the downward API; null outside Kubernetes), host and pid.
 */
public record ProcessIdentity(String pool, String podName, String podUid, String node, String host, long pid) {

    public ProcessIdentity {
        if (pool == null || pool.isBlank()) {
            throw new IllegalArgumentException("pool must not be blank (on Kubernetes it is namespace/name)");
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
    }

    /** This JVM outside Kubernetes: host name and pid, no Pod. */
    public static ProcessIdentity local(String pool) {
        return new ProcessIdentity(pool, null, null, null, hostName(), ProcessHandle.current().pid());
    }

    public ProcessIdentity withPod(String podName, String podUid, String node) {
        return new ProcessIdentity(pool, podName, podUid, node, host, pid);
    }

    static String hostName() {
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
