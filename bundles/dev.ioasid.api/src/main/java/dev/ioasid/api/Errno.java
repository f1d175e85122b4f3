package dev.ioasid.api;

/**
 * The Linux errno values that ioasid returns, with their numbers on x86-64 and arm64 Linux.
 * Which call returns which errno, and when, follows iommufd (see the README's "Errors" section).
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"),
    ENXIO(6, "No such device or address"),
    EBADF(9, "Bad file descriptor"),
    E2BIG(7, "Argument list too long"),
    ENOMEM(12, "Cannot allocate memory"),
    EFAULT(14, "Bad address"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    EINVAL(22, "Invalid argument"),
    ENOSPC(28, "No space left on device"),
    ESPIPE(29, "Illegal seek"),
    ERANGE(34, "Numerical result out of range"),
    ENOTTY(25, "Inappropriate ioctl for device"),
    EAGAIN(11, "Resource temporarily unavailable"),
    EMSGSIZE(90, "Message too long"),
    EOPNOTSUPP(95, "Operation not supported"),
    EADDRINUSE(98, "Address already in use"),
    EOVERFLOW(75, "Value too large for defined data type"),
    ETIMEDOUT(110, "Connection timed out");

    private final int number;
    private final String description;

    Errno(int number, String description) {
        this.number = number;
        this.description = description;
    }

    /** The positive errno number, as in {@code errno.h}. */
    public int number() {
        return number;
    }

    /** strerror(3) text. */
    public String description() {
        return description;
    }

    /** The errno with this number, or {@code null} if ioasid never returns it. */
    public static Errno ofNumber(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
