package dev.stevedore.e2e.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The local cluster's certificates, made with {@code openssl} for each start and deleted with the work
 * directory: a CA, the API server's serving certificate (valid for every address a client uses: loopback, the
 * node's address on the bridge, and the {@code kubernetes} Service's ClusterIP with its DNS names, so Pods
 * verify it with the CA that the root-CA publisher puts in every namespace), an admin client certificate in
 * {@code system:masters}, and the key that signs ServiceAccount tokens.
 */
final class ClusterPki {

    private static final String VALIDITY_DAYS = "7";

    private final Path directory;

    private ClusterPki(Path directory) {
        this.directory = directory;
    }

    /** Makes every key and certificate under {@code directory}; {@code ipAddresses} go into the serving certificate. */
    static ClusterPki create(Path directory, List<String> ipAddresses) {
        ClusterPki pki = new ClusterPki(directory);
        try {
            // Keys of a system:masters identity and of the cluster CA: for root only.
            Files.createDirectories(directory, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.caKey(), "-out", pki.caCertificate(),
                "-days", VALIDITY_DAYS, "-subj", "/CN=stevedore-local-cluster-ca");
        List<String> altNames = new ArrayList<>(List.of("DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local"));
        ipAddresses.forEach(ip -> altNames.add("IP:" + ip));
        pki.signed("apiserver", "/CN=kube-apiserver", "subjectAltName=" + String.join(",", altNames) + "\nextendedKeyUsage=serverAuth\n");
        pki.signed("admin", "/O=system:masters/CN=stevedore-admin", "extendedKeyUsage=clientAuth\n");
        pki.openssl("genrsa", "-out", pki.serviceAccountKey(), "2048");
        return pki;
    }

    Path caCertificate() {
        return directory.resolve("ca.crt");
    }

    Path apiServerCertificate() {
        return directory.resolve("apiserver.crt");
    }

    Path apiServerKey() {
        return directory.resolve("apiserver.key");
    }

    Path serviceAccountKey() {
        return directory.resolve("service-account.key");
    }

    /** An admin kubeconfig for {@code server}, with the certificates inline, so it can be copied anywhere. */
    String adminKubeconfig(String server) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: stevedore-local
                  cluster:
                    server: %s
                    certificate-authority-data: %s
                users:
                - name: stevedore-admin
                  user:
                    client-certificate-data: %s
                    client-key-data: %s
                contexts:
                - name: stevedore-local
                  context:
                    cluster: stevedore-local
                    user: stevedore-admin
                current-context: stevedore-local
                """.formatted(server, base64(caCertificate()), base64(directory.resolve("admin.crt")), base64(directory.resolve("admin.key")));
    }

    private Path caKey() {
        return directory.resolve("ca.key");
    }

    private void signed(String name, String subject, String extensions) {
        Path key = directory.resolve(name + ".key");
        Path request = directory.resolve(name + ".csr");
        Path extensionFile = directory.resolve(name + ".ext");
        try {
            Files.writeString(extensionFile, extensions);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + extensionFile, e);
        }
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", request, "-subj", subject);
        openssl("x509", "-req", "-in", request, "-CA", caCertificate(), "-CAkey", caKey(), "-CAcreateserial",
                "-out", directory.resolve(name + ".crt"), "-days", VALIDITY_DAYS, "-extfile", extensionFile);
    }

    private void openssl(Object... arguments) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        for (Object argument : arguments) {
            command.add(argument.toString());
        }
        HostLedger.run(command, false);
    }

    private static String base64(Path file) {
        try {
            return Base64.getEncoder().encodeToString(Files.readString(file, StandardCharsets.US_ASCII).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
