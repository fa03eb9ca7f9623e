"""Command handlers of the staffing service: which stream each command addresses, and which
pure decision decides it."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.staffing.domain import erasure, plan, post, supply, teacher, training
from services.staffing.targets import StaffingTargets, TargetsInForce, business_day
from shared.decider import Aggregate, CommandHandler

PERMISSIONS_FILE = Path(__file__).with_name("permissions.toml")


def command_handlers(targets: StaffingTargets) -> dict[str, CommandHandler[Any]]:
    """`targets` are the adopted county targets (`TargetsInForce`: a decision gets those in
    force on its command's business day; a plain mapping, as in tests, applies every day)."""

    def in_force(cmd: Any) -> StaffingTargets:
        if isinstance(targets, TargetsInForce):
            return targets.on(business_day(cmd))
        return targets

    def with_targets(
        aggregate: Aggregate[Any],
        stream: Callable[[Any], str],
        decide: Callable[[Any, Any, StaffingTargets], list[Any]],
    ) -> CommandHandler[Any]:
        return CommandHandler(
            aggregate, stream, lambda state, cmd: decide(state, cmd, in_force(cmd))
        )

    def on_post(decide: Callable[[Any, Any, StaffingTargets], list[Any]]) -> CommandHandler[Any]:
        return with_targets(
            post.POST,
            lambda cmd: post.post_stream(cmd.county, cmd.host_school, cmd.subject),
            decide,
        )

    def on_teacher(decide: Callable[[Any, Any], list[Any]]) -> CommandHandler[Any]:
        return CommandHandler(
            teacher.TEACHER, lambda cmd: teacher.teacher_stream(cmd.teacher_id), decide
        )

    def on_new_teacher(
        decide: Callable[[Any, Any, StaffingTargets], list[Any]],
    ) -> CommandHandler[Any]:
        return with_targets(
            supply.NEW_TEACHER, lambda cmd: supply.new_teacher_stream(cmd.graduate_id), decide
        )

    def by_order(cmd: Any) -> str:
        return training.order_stream(cmd.order_id)

    def by_quota(cmd: Any) -> str:
        return supply.quota_stream(cmd.county, cmd.school_year)

    return {
        "EraseStaffPersonalData": CommandHandler(
            erasure.ERASURE, erasure.erasure_stream, erasure.erase
        ),
        "AdoptStaffingTargets": CommandHandler(
            plan.PLAN, lambda cmd: plan.targets_stream(cmd.county), plan.adopt
        ),
        "RaiseSubjectTarget": on_post(post.raise_target),
        "DispatchMasterTeacher": on_post(post.dispatch),
        "RecordMasterTeacherArrival": on_post(post.record_arrival),
        "ExtendMasterTeacherSupport": on_post(post.extend),
        "EndMasterTeacherSupport": on_post(post.end),
        "WithdrawMasterTeacherDispatch": on_post(post.withdraw_dispatch),
        "WithdrawMasterTeacherExtension": on_post(post.withdraw_extension),
        "RecordTeacherAssignment": on_teacher(teacher.record_assignment),
        "CancelTeacherAssignment": on_teacher(teacher.cancel_assignment),
        "AssignMentee": on_teacher(teacher.assign_mentee),
        "LogMentoringSession": on_teacher(teacher.log_session),
        "RecordCaravanVisit": with_targets(
            training.CARAVAN,
            lambda cmd: training.caravan_stream(cmd.county, cmd.term),
            training.record_visit,
        ),
        "RecordShadowTraining": with_targets(
            training.TRAINEE,
            lambda cmd: training.trainee_stream(cmd.trainee_id),
            training.record_shadow_training,
        ),
        "PlaceTrainingOrder": with_targets(training.ORDER, by_order, training.place_order),
        "FulfilTrainingOrder": CommandHandler(training.ORDER, by_order, training.fulfil_order),
        "AllocateSpecialPostQuota": with_targets(supply.QUOTA, by_quota, supply.allocate_quota),
        "RecordSpecialPostsFilled": CommandHandler(supply.QUOTA, by_quota, supply.record_filled),
        "PlaceNormalGraduate": on_new_teacher(supply.place_graduate),
        "RecruitTuitionFreeGraduate": on_new_teacher(supply.recruit_graduate),
    }


def load_permissions(path: Path = PERMISSIONS_FILE) -> dict[str, frozenset[str]]:
    with path.open("rb") as f:
        return {command: frozenset(departments) for command, departments in tomllib.load(f).items()}
