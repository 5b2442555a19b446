/* SPDX-License-Identifier: Apache-2.0 */
/* nca_serial_baud.c - any baud rate on a Linux tty (termios2 + BOTHER), for rates such as
 * 12,000,000 that have no Bxxx constant. Its own file: the kernel's termios2 header cannot
 * share a translation unit with the C library's <termios.h>. */
#include "nca_transport.h"

#include <errno.h>

#if defined(__linux__)
#include <asm/ioctls.h>
#include <asm/termbits.h>
int ioctl(int fd, unsigned long request, ...); /* <sys/ioctl.h> clashes with asm/termbits.h */
#endif

int nca_serial_set_custom_baud(int fd, unsigned baud)
{
#if defined(__linux__) && defined(TCGETS2) && defined(BOTHER)
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    t.c_cflag &= ~(tcflag_t)(CBAUD | (CBAUD << IBSHIFT));
    t.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    if (ioctl(fd, TCSETS2, &t) != 0)
        return -1;
    /* the driver may round; refuse rates it cannot get within 3 % */
    if (ioctl(fd, TCGETS2, &t) != 0)
        return -1;
    if (t.c_ospeed != 0 && ((unsigned long long)t.c_ospeed * 100u < (unsigned long long)baud * 97u ||
                           (unsigned long long)t.c_ospeed * 100u > (unsigned long long)baud * 103u)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
#else
    (void)fd;
    (void)baud;
    errno = ENOTSUP;
    return -1;
#endif
}
