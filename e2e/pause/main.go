// Command pause is the sandbox ("pause") container of the local test cluster's pods: it holds the
// pod's namespaces open and exits on SIGTERM or SIGINT. Built static, it is the whole image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go reapChildren()
	<-signals
}

// reapChildren reaps zombies, as PID 1 of a shared PID namespace must.
func reapChildren() {
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)
	for range children {
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
