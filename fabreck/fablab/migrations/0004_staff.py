"""Training participants: a maker's place in a session and the result staff recorded.
One row per maker and session; the result is one of four values."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fablab", "0002_no_overlap"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TrainingParticipant",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "result",
                    models.CharField(
                        choices=[
                            ("registered", "Registered"),
                            ("passed", "Passed"),
                            ("failed", "Not passed"),
                            ("absent", "Absent"),
                        ],
                        default="registered",
                        max_length=10,
                        verbose_name="result",
                    ),
                ),
                (
                    "registered_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="registered at"),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="result recorded at"),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="result recorded by",
                    ),
                ),
                (
                    "registered_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="registered by",
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="participants",
                        to="fablab.trainingsession",
                        verbose_name="training session",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="fablab_trainings",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="maker",
                    ),
                ),
            ],
            options={
                "verbose_name": "training participant",
                "verbose_name_plural": "training participants",
                "ordering": ["session", "registered_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("result__in", ["registered", "passed", "failed", "absent"])
                        ),
                        name="fablab_participant_result",
                    ),
                    models.UniqueConstraint(
                        fields=("session", "user"), name="fablab_participant_once_per_session"
                    ),
                ],
            },
        ),
    ]
