package localserver

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the child get SIGKILL when this process dies, so a crashed test or a
// killed `baton dev` leaves no redis-server behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
