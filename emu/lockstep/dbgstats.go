package lockstep
import "fmt"
func DbgStats() string { return fmt.Sprintf("steps %d blocks %d blockinsts %d run %v cont %v cmp %v", dbgSteps, dbgBlocks, dbgBlockInsts, dbgRun, dbgCont, dbgCmp) }
