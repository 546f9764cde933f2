package dev.stevedore.cli;

/** A command could not be carried out; the message is the one line the user sees. */
final class CliFailure extends RuntimeException {

    CliFailure(String message) {
        super(message);
    }
}
