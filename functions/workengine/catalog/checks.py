"""Semantic checks of parsed templates (what the pydantic schema alone cannot see).

Pure functions over models: each returns a list of ``Problem`` (one per issue) and never raises.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from workengine.catalog.approval_checks import ROLE_PATTERN, USER_PREFIX, check_approvals
from workengine.catalog.problems import Problem
from workengine.domain.conditions import BUNDLE_ATTRIBUTES, ConditionError, compile_condition
from workengine.domain.entities import Bundle, Task
from workengine.domain.output_schema import check_output_schema
from workengine.domain.rendering import (
    KNOWN_FILTERS,
    KNOWN_PROMPT_ROOTS,
    KNOWN_TITLE_ROOTS,
    Expression,
    TemplateSyntaxError,
    parse_expressions,
)
from workengine.domain.template import (
    DocRegistry,
    EventTrigger,
    ScheduleTrigger,
    TaskDefinition,
    WorkflowTemplate,
)

TASK_DATA_ATTRIBUTES = frozenset({"status", "fields", "outputs"})
_FIELDS_BY_ROOT: Mapping[str, frozenset[str]] = {
    "bundle": frozenset(Bundle.model_fields),
    "task": frozenset(Task.model_fields),
    "template": frozenset(WorkflowTemplate.model_fields),
}


class TemplateChecker:
    """Collects the problems of one template against the doc registry."""

    def __init__(self, template: WorkflowTemplate, docs: DocRegistry | None, file: str) -> None:
        self.template = template
        self.docs = docs
        self.file = file
        self.problems: list[Problem] = []
        self.index_of: dict[str, int] = {}
        for index, task in enumerate(template.tasks):
            self.index_of.setdefault(task.key, index)

    def report(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, field, message))

    def run(self) -> list[Problem]:
        self.check_roles()
        self.check_phases()
        self.check_links()
        self.check_task_references()
        self.check_cycles()
        self.check_docs()
        self.check_fields()
        self.check_conditions()
        self.check_task_titles()
        self.check_assistant_steps()
        self.check_triggers()
        check_approvals(self)
        self.check_examples()
        return self.problems

    # -- identity and structure -------------------------------------------------------------------

    def check_roles(self) -> None:
        owner = self.template.owner_role
        if not ROLE_PATTERN.match(owner):
            self.report("owner_role", f"{owner!r} must be a lower-case role name like 'owner'")
        elif not any(task.default_assignee == owner for task in self.template.tasks):
            self.report("owner_role", f"role {owner!r} is not the default_assignee of any task")
        for index, task in enumerate(self.template.tasks):
            assignee = task.default_assignee
            if assignee is None or (assignee.startswith(USER_PREFIX) and len(assignee) > len(USER_PREFIX)):
                continue
            if not ROLE_PATTERN.match(assignee):
                self.report(
                    f"tasks[{index}].default_assignee",
                    f"{assignee!r} is neither a role name (lower-case) nor 'user:<id>'",
                )

    def check_phases(self) -> None:
        seen: set[str] = set()
        for index, phase in enumerate(self.template.phases):
            if phase.id in seen:
                self.report(f"phases[{index}].id", f"duplicate phase id {phase.id!r}")
            seen.add(phase.id)
        used = {task.phase for task in self.template.tasks}
        for index, phase in enumerate(self.template.phases):
            if phase.id not in used:
                self.report(f"phases[{index}]", f"phase {phase.id!r} has no tasks")
        for index, task in enumerate(self.template.tasks):
            if task.phase not in seen:
                self.report(f"tasks[{index}].phase", f"unknown phase {task.phase!r}")

    def check_links(self) -> None:
        seen: set[str] = set()
        for index, link in enumerate(self.template.required_links):
            if link.name in seen:
                self.report(f"required_links[{index}].name", f"duplicate required link {link.name!r}")
            seen.add(link.name)

    def check_task_references(self) -> None:
        for index, task in enumerate(self.template.tasks):
            if self.index_of[task.key] != index:
                self.report(f"tasks[{index}].key", f"duplicate task key {task.key!r}")
            for key in task.depends_on:
                if key not in self.index_of:
                    self.report(f"tasks[{index}].depends_on", f"unknown task key {key!r}")
            if len(set(task.depends_on)) != len(task.depends_on):
                self.report(f"tasks[{index}].depends_on", "task keys must not repeat")
            if task.offset_from is not None:
                self._check_offset_from(index, task, task.offset_from)

    def _check_offset_from(self, index: int, task: TaskDefinition, target_key: str) -> None:
        field = f"tasks[{index}].offset_from"
        target_index = self.index_of.get(target_key)
        if target_index is None:
            self.report(field, f"unknown task key {target_key!r}")
            return
        target = self.template.tasks[target_index]
        if target.include_when_tag is not None and target.include_when_tag != task.include_when_tag:
            self.report(
                field,
                f"{target_key!r} is only included with tag {target.include_when_tag!r}, so this task "
                "could be left without a due date",
            )
        if task.offset_days < 0:
            self.report(f"tasks[{index}].offset_days", "must be >= 0 when offset_from is set")

    # -- dependency graph ---------------------------------------------------------------------------

    def _edges(self, task: TaskDefinition) -> list[str]:
        """What must precede ``task``: its dependencies, its offset anchor and the tasks its condition
        reads."""
        targets = [
            *task.depends_on,
            *([task.offset_from] if task.offset_from else []),
            *sorted(self._condition_task_keys(task)),
        ]
        return [key for key in dict.fromkeys(targets) if key in self.index_of]

    def check_cycles(self) -> None:
        reported: set[tuple[str, ...]] = set()
        for cycle in self._find_cycles():
            start = min(range(len(cycle)), key=lambda i: self.index_of[cycle[i]])
            canonical = tuple(cycle[start:] + cycle[:start])
            if canonical in reported:
                continue
            reported.add(canonical)
            path = " -> ".join([*canonical, canonical[0]])
            self.report(f"tasks[{self.index_of[canonical[0]]}].depends_on", f"dependency cycle: {path}")

    def _find_cycles(self) -> Iterator[list[str]]:
        """Depth-first search; every back edge closes one cycle along the current path."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
        for root in self.index_of:
            if root in state:
                continue
            path: list[str] = [root]
            pending: list[Iterator[str]] = [iter(self._edges(self.template.tasks[self.index_of[root]]))]
            state[root] = 1
            while pending:
                successor = next(pending[-1], None)
                if successor is None:
                    state[path.pop()] = 2
                    pending.pop()
                elif state.get(successor) == 1:
                    yield path[path.index(successor) :]
                elif successor not in state:
                    state[successor] = 1
                    path.append(successor)
                    task = self.template.tasks[self.index_of[successor]]
                    pending.append(iter(self._edges(task)))

    def upstream_of(self, key: str) -> set[str]:
        """Every task key this task transitively waits for (depends_on and offset_from)."""
        seen: set[str] = set()
        stack = self._edges(self.template.tasks[self.index_of[key]])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._edges(self.template.tasks[self.index_of[current]]))
        return seen

    # -- documentation ------------------------------------------------------------------------------

    def check_docs(self) -> None:
        if self.docs is None:
            return  # docs.yaml itself is broken and reported; every reference would only add noise
        docs = self.docs
        for index, source_doc_id in enumerate(self.template.source_doc_ids):
            if source_doc_id not in docs.docs:
                self.report(f"source_doc_ids[{index}]", f"unknown doc ID {source_doc_id!r}")
        for index, task in enumerate(self.template.tasks):
            field = f"tasks[{index}]"
            doc_id, step_id = task.instruction_doc_id, task.instruction_step_id
            if doc_id is None:
                if step_id is not None:
                    self.report(f"{field}.instruction_step_id", "set without instruction_doc_id")
                continue
            if task.instructions_url is not None:
                self.report(f"{field}.instructions_url", "ignored when instruction_doc_id is set; remove it")
            if doc_id not in docs.docs:
                self.report(f"{field}.instruction_doc_id", f"unknown doc ID {doc_id!r}")
            elif step_id is not None and step_id not in docs.step_ids(doc_id):
                self.report(f"{field}.instruction_step_id", f"doc {doc_id!r} has no step {step_id!r}")

    # -- workflow data ------------------------------------------------------------------------------

    def input_keys(self) -> set[str]:
        return {spec.key for spec in self.template.inputs}

    def always_set_inputs(self) -> set[str]:
        return {spec.key for spec in self.template.inputs if spec.required or spec.default is not None}

    def check_fields(self) -> None:
        self._unique_keys("inputs", [spec.key for spec in self.template.inputs])
        for index, task in enumerate(self.template.tasks):
            self._unique_keys(f"tasks[{index}].fields", [spec.key for spec in task.fields])

    def _unique_keys(self, field: str, keys: list[str]) -> None:
        seen: set[str] = set()
        for position, key in enumerate(keys):
            if key in seen:
                self.report(f"{field}[{position}].key", f"duplicate field key {key!r}")
            seen.add(key)

    def _condition_task_keys(self, task: TaskDefinition) -> frozenset[str]:
        if task.when is None:
            return frozenset()
        try:
            return compile_condition(task.when).task_keys
        except ConditionError:
            return frozenset()  # reported by check_conditions

    def check_conditions(self) -> None:
        for index, task in enumerate(self.template.tasks):
            if task.when is None:
                continue
            field = f"tasks[{index}].when"
            try:
                condition = compile_condition(task.when)
            except ConditionError as exc:
                self.report(field, str(exc))
                continue
            for path in condition.references:
                problem = self._condition_reference_problem(task, path.split("."))
                if problem:
                    self.report(field, f"{path}: {problem}")

    def _condition_reference_problem(self, task: TaskDefinition, parts: list[str]) -> str | None:
        root = parts[0]
        if root == "inputs" and len(parts) > 1 and parts[1] not in self.input_keys():
            return f"unknown input {parts[1]!r}"
        if root == "bundle" and len(parts) > 1 and parts[1] not in BUNDLE_ATTRIBUTES:
            return f"bundle has no {parts[1]!r} (known: {', '.join(sorted(BUNDLE_ATTRIBUTES))})"
        if root != "tasks" or len(parts) < 2:
            return None
        source = self.template.task(parts[1])
        if source is None:
            return f"unknown task key {parts[1]!r}"
        if source.key == task.key:
            return "a condition cannot read its own task"
        if len(parts) > 2 and parts[2] not in TASK_DATA_ATTRIBUTES:
            return f"a task has no {parts[2]!r} (known: {', '.join(sorted(TASK_DATA_ATTRIBUTES))})"
        if len(parts) > 3 and parts[2] == "fields" and parts[3] not in {s.key for s in source.fields}:
            return f"task {source.key!r} has no field {parts[3]!r}"
        if len(parts) > 2 and parts[2] == "outputs":
            if source.assistant is None:
                return f"task {source.key!r} has no assistant step, so it has no outputs"
            if len(parts) > 3 and parts[3] not in _properties(source.assistant.output_schema):
                return f"output of task {source.key!r} has no property {parts[3]!r}"
        return None

    def check_task_titles(self) -> None:
        for index, task in enumerate(self.template.tasks):
            field = f"tasks[{index}].title"
            for expression in self._expressions(field, task.title):
                self._check_always_set_input(field, expression)

    def _check_always_set_input(self, field: str, expression: Expression) -> None:
        shown = f"{{{{ {expression.path} }}}}"
        segments = expression.segments
        if expression.root != "inputs" or len(segments) != 2:
            self.report(field, f"{shown}: only {{{{ inputs.<key> }}}} may be used here")
        elif segments[1] not in self.input_keys():
            self.report(field, f"unknown input {segments[1]!r} in {shown}")
        elif segments[1] not in self.always_set_inputs():
            self.report(field, f"input {segments[1]!r} in {shown} must be required or have a default")

    def check_examples(self) -> None:
        from workengine.domain.errors import ValidationFailedError
        from workengine.domain.fields import resolve_inputs

        for index, example in enumerate(self.template.examples):
            try:
                resolve_inputs(self.template.inputs, example.inputs)
            except ValidationFailedError as exc:
                self.report(f"examples[{index}].{exc.details.get('field', 'inputs')}", exc.message)

    # -- assistant steps ----------------------------------------------------------------------------

    def check_assistant_steps(self) -> None:
        for index, task in enumerate(self.template.tasks):
            step = task.assistant
            if step is None:
                continue
            field = f"tasks[{index}].assistant"
            schema_problems = check_output_schema(step.output_schema)
            for message in schema_problems:
                self.report(f"{field}.output_schema", message)
            properties = _properties(step.output_schema)
            if step.fill_proof_comment is not None and step.fill_proof_comment not in properties:
                self.report(
                    f"{field}.fill_proof_comment",
                    f"{step.fill_proof_comment!r} is not a property of output_schema",
                )
            for expression in self._expressions(f"{field}.prompt", step.prompt):
                self._check_prompt_variable(f"{field}.prompt", task, expression)

    def _expressions(self, field: str, text: str) -> list[Expression]:
        try:
            expressions = parse_expressions(text)
        except TemplateSyntaxError as exc:
            self.report(field, str(exc))
            return []
        for expression in expressions:
            for name in expression.filters:
                if name not in KNOWN_FILTERS:
                    known = ", ".join(sorted(KNOWN_FILTERS))
                    self.report(
                        field, f"unknown filter {name!r} in {{{{ {expression.path} }}}} (known: {known})"
                    )
        return expressions

    def _check_prompt_variable(self, field: str, task: TaskDefinition, expression: Expression) -> None:
        shown = f"{{{{ {expression.path} }}}}"
        segments = expression.segments
        if expression.root not in KNOWN_PROMPT_ROOTS:
            known = ", ".join(sorted(KNOWN_PROMPT_ROOTS))
            self.report(field, f"unknown variable root {expression.root!r} in {shown} (known: {known})")
        elif expression.root == "outputs":
            self._check_output_reference(field, task, segments, shown)
        elif expression.root == "inputs":
            if len(segments) < 2 or segments[1] not in self.input_keys():
                self.report(field, f"{shown} must name an input of the template: inputs.<key>")
        elif expression.root == "tasks":
            self._check_task_data_reference(field, task, segments, shown)
        elif len(segments) > 1 and segments[1] not in _FIELDS_BY_ROOT[expression.root]:
            self.report(field, f"{expression.root} has no field {segments[1]!r} in {shown}")

    def _check_output_reference(
        self, field: str, task: TaskDefinition, segments: tuple[str, ...], shown: str
    ) -> None:
        if len(segments) < 2:
            self.report(field, f"{shown} must name a task key: outputs.<task_key>.<field>")
            return
        key = segments[1]
        source_index = self.index_of.get(key)
        if source_index is None:
            self.report(field, f"unknown task key {key!r} in {shown}")
            return
        source = self.template.tasks[source_index]
        if source.assistant is None:
            self.report(field, f"task {key!r} has no assistant step, so {shown} has no output")
        elif key == task.key or key not in self.upstream_of(task.key):
            self.report(field, f"task {key!r} is not upstream of {task.key!r} (add it to depends_on)")
        elif len(segments) > 2 and segments[2] not in _properties(source.assistant.output_schema):
            self.report(field, f"output of task {key!r} has no property {segments[2]!r}")

    def _check_task_data_reference(
        self, field: str, task: TaskDefinition, segments: tuple[str, ...], shown: str
    ) -> None:
        """``tasks.<key>.status``, ``tasks.<key>.fields.<field>``, ``tasks.<key>.outputs.<property>``."""
        if len(segments) < 3 or segments[2] not in TASK_DATA_ATTRIBUTES:
            known = "|".join(sorted(TASK_DATA_ATTRIBUTES))
            self.report(field, f"{shown} must read tasks.<task_key>.({known})")
            return
        source = self.template.task(segments[1])
        if source is None:
            self.report(field, f"unknown task key {segments[1]!r} in {shown}")
        elif segments[2] == "fields" and (
            len(segments) < 4 or segments[3] not in {spec.key for spec in source.fields}
        ):
            self.report(field, f"task {segments[1]!r} has no field {'.'.join(segments[3:4])!r} in {shown}")
        elif segments[2] == "outputs":
            if source.assistant is None:
                self.report(field, f"task {segments[1]!r} has no assistant step, so {shown} has no output")
            elif len(segments) > 3 and segments[3] not in _properties(source.assistant.output_schema):
                self.report(field, f"output of task {segments[1]!r} has no property {segments[3]!r}")

    # -- triggers -----------------------------------------------------------------------------------

    def check_triggers(self) -> None:
        for index, trigger in enumerate(self.template.triggers):
            field = f"triggers[{index}]"
            if isinstance(trigger, ScheduleTrigger):
                message = cron_problem(trigger.cron)
                if message:
                    self.report(f"{field}.cron", message)
            if isinstance(trigger, ScheduleTrigger | EventTrigger):
                self._check_title_pattern(f"{field}.title_pattern", trigger.title_pattern)
            if isinstance(trigger, EventTrigger):
                self._check_event_trigger(field, trigger)
        detail_types = [trigger.detail_type for trigger in self.template.event_triggers()]
        for repeated in sorted({name for name in detail_types if detail_types.count(name) > 1}):
            self.report("triggers", f"detail type {repeated!r} triggers this template more than once")

    def _check_event_trigger(self, field: str, trigger: EventTrigger) -> None:
        """The detail fields must be distinct and not the reserved ones; the engine's own events never
        reach the trigger; inputs without a default need a detail field to come from."""
        from workengine.domain.event_triggers import ENGINE_DETAIL_TYPES, RESERVED_DETAIL_FIELDS

        if trigger.detail_type in ENGINE_DETAIL_TYPES:
            self.report(
                f"{field}.detail_type",
                f"{trigger.detail_type!r} is an event the engine publishes itself; it triggers nothing",
            )
        named = {
            "anchor_field": trigger.anchor_field,
            "inputs_field": trigger.inputs_field,
            "assignees_field": trigger.assignees_field,
        }
        seen: dict[str, str] = {}
        for attribute, name in named.items():
            if name is None:
                continue
            if name in RESERVED_DETAIL_FIELDS:
                self.report(f"{field}.{attribute}", f"{name!r} is reserved in an event's detail")
            elif name in seen:
                self.report(f"{field}.{attribute}", f"{name!r} is also the trigger's {seen[name]}")
            seen.setdefault(name, attribute)
        if trigger.inputs_field is None:
            needed = sorted(s.key for s in self.template.inputs if s.required and s.default is None)
            if needed:
                self.report(
                    f"{field}.inputs_field",
                    f"required inputs {', '.join(needed)} have no default, so an event must carry them: "
                    "name the detail field holding the inputs",
                )

    def _check_title_pattern(self, field: str, pattern: str) -> None:
        for expression in self._expressions(field, pattern):
            shown = f"{{{{ {expression.path} }}}}"
            segments = expression.segments
            if expression.root not in KNOWN_TITLE_ROOTS:
                known = ", ".join(sorted(KNOWN_TITLE_ROOTS))
                self.report(field, f"unknown variable root {expression.root!r} in {shown} (known: {known})")
            elif expression.root == "inputs":
                self._check_always_set_input(field, expression)
            elif expression.root == "template" and (
                len(segments) < 2 or segments[1] not in _FIELDS_BY_ROOT["template"]
            ):
                self.report(field, f"{shown} must name a template field, e.g. template.title")


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = schema.get("properties")
    return properties if isinstance(properties, Mapping) else {}


def cron_problem(expression: str) -> str | None:
    """Why a 5-field UTC cron expression is invalid, or None when it parses."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) != 5:
        return f"cron {expression!r} must have 5 fields (minute hour day month weekday), got {len(fields)}"
    if not croniter.is_valid(expression):
        return f"cron {expression!r} does not parse"
    return None


def check_template(template: WorkflowTemplate, docs: DocRegistry | None, file: str) -> list[Problem]:
    """Every semantic problem of ``template`` (references, cycles, docs, prompts, triggers).

    ``docs`` None means the registry could not be read, so doc references are not checked.
    """
    return TemplateChecker(template, docs, file).run()


def check_doc_registry(docs: DocRegistry, file: str) -> list[Problem]:
    """Problems of ``docs.yaml``: non-http URLs and repeated step ids."""
    problems: list[Problem] = []
    for doc_id, entry in docs.docs.items():
        if not entry.url.startswith(("https://", "http://")):
            problems.append(Problem(file, f"docs.{doc_id}.url", f"{entry.url!r} is not an http(s) URL"))
        seen: set[str] = set()
        for index, step in enumerate(entry.steps):
            if step.id in seen:
                problems.append(
                    Problem(file, f"docs.{doc_id}.steps[{index}].id", f"duplicate step {step.id!r}")
                )
            seen.add(step.id)
    return problems
