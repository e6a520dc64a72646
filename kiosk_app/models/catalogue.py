"""The service catalogue: what a community handles, and what it only explains (社区事务准入)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Bilingual


class ServiceCategory(Bilingual, db.Model):
    __tablename__ = "service_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    services: Mapped[list[Service]] = relationship(
        back_populates="category", order_by="Service.position"
    )


class ServiceTexts(Bilingual):
    """What a service says, in the reader's language: shared by the row and its kept copy."""

    @property
    def materials(self) -> list[str]:
        return [line.strip() for line in self.localized("materials").splitlines() if line.strip()]

    @property
    def summary(self) -> str:
        return self.localized("summary")

    @property
    def guidance(self) -> str:
        return self.localized("guidance")


class Service(ServiceTexts, db.Model):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    summary_zh: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # One item a line.
    materials_zh: Mapped[str] = mapped_column(Text, default="")
    materials_en: Mapped[str] = mapped_column(Text, default="")
    needs_paperwork: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_id_number: Mapped[bool] = mapped_column(Boolean, default=False)
    volunteer_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline_days: Mapped[int] = mapped_column(Integer, default=5)
    # A guidance-only item creates no ticket: it explains where the resident should go instead.
    guidance_only: Mapped[bool] = mapped_column(Boolean, default=False)
    guidance_zh: Mapped[str] = mapped_column(Text, default="")
    guidance_en: Mapped[str] = mapped_column(Text, default="")
    # A proposal for the community (民事民提), not a personal request: discussed, decided, done.
    is_proposal: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[ServiceCategory] = relationship(back_populates="services")
