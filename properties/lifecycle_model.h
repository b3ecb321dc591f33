// Property `lifecycle_model`: a stateful RapidCheck model (rc::state) of the
// handoff bridge's lifecycle. Commands: start, stop, invoke from N foreign
// threads, invoke from a Ruby thread with and without the GVL, kill a worker
// thread, fork (release builds). The model (running or not) predicts every
// status: ok with the right reply while running (a killed worker is
// replaced; a forked child's bridge restarts), stopped otherwise.
//
// A generated command sequence runs in a supervised child process that
// embeds Ruby and starts the bridge (the target under test must be `bridge`:
// start and stop go through its Ruby API); the child reports what each
// command observed, and the model checks it, command by command, in the
// RapidCheck process, so a failing sequence shrinks to a short one.
#pragma once

#include "scenario_properties.h"

namespace handoff::properties {

Property LifecycleModelProperty();

}  // namespace handoff::properties
