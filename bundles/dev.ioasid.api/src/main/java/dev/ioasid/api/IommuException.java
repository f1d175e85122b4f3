package dev.ioasid.api;

import java.util.Objects;

/**
 * The one exception every failing ioasid call raises: a Linux errno and a message.
 * <p>
 * A call that raises it has changed nothing: no partial map, no leaked frame or pin, no half-made object.
 * {@link #getMessage()} reads {@code "<ERRNO>: <message>"}, the form the shell prints.
 */
public class IommuException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;
    private final String detail;
    private long progress;

    public IommuException(Errno errno, String detail) {
        super(Objects.requireNonNull(errno).name() + ": " + detail);
        this.errno = errno;
        this.detail = detail;
    }

    public IommuException(Errno errno, String detail, Throwable cause) {
        super(Objects.requireNonNull(errno).name() + ": " + detail, cause);
        this.errno = errno;
        this.detail = detail;
    }

    public Errno errno() {
        return errno;
    }

    /** The message without the errno prefix. */
    public String detail() {
        return detail;
    }

    /**
     * How much of a request made of parts was done before the failure: the entries handled by an invalidation
     * (entry_num), or the number of ranges needed when a buffer was too small (EMSGSIZE). 0 otherwise.
     */
    public long progress() {
        return progress;
    }

    /** Sets {@link #progress()} and returns this exception. */
    public IommuException withProgress(long done) {
        this.progress = done;
        return this;
    }

    /** Shorthand: {@code throw IommuException.of(EINVAL, "length %d is not aligned", len)}. */
    public static IommuException of(Errno errno, String format, Object... args) {
        return new IommuException(errno, args.length == 0 ? format : String.format(format, args));
    }

    /** The message only: a user error is one line, never a stack trace. */
    @Override
    public String toString() {
        return getMessage();
    }
}
