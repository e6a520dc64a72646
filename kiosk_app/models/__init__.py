"""The data model, one module per aggregate.  Importing this package registers every table."""

from .archive import (Household, LawfulBasis, Member, MemberTag, Residence, Room, SitePlan, StaffBuilding, Tag,
                      TicketLink, Visit)
from .audit import AuditEvent
from .consultation import (Comment, Consultation, ConsultationBuilding, ConsultationOption, ConsultationRating,
                           ConsultationScope, ConsultationState, ConsultationTask, OptionKind, ResidentCode, TaskOwner,
                           TaskState, Vote, VoteChannel)
from .cache import CacheVersion
from .volunteer import Shift, Volunteer
from .calendar import CalendarDay
from .catalogue import CommunityService, Service, ServiceCategory
from .job import JobState
from .locker import (
    CommandState,
    Compartment,
    DoorCommand,
    CompartmentState,
    DoorEvent,
    DoorEventKind,
    DoorReason,
    DoorState,
    ItemKind,
    ItemState,
    LockBoardState,
    LockerItem,
    Size,
)
from .notification import MessageState, Notification
from .org import Area, AreaLevel, Building, Grid
from .receipt import PrinterFaultKind, PrintJob, PrintState
from .rating import RATING_LABELS, FollowUp, FollowUpState, Rating
from .staff import DataExport, GridLevel, Role, Staff, StaffGrid, StaffSession
from .terminal import Terminal, TerminalKind
from .throttle import Throttle
from .ticket import Channel, Status, Ticket, TicketCounter, TicketEvent, TicketEventKind, TicketView
from .daily import CompletionDay, RatingDay, TicketDay
from .ticket_count import TicketCount

__all__ = [
    "AuditEvent", "CacheVersion", "CalendarDay", "CompletionDay", "RatingDay", "TicketDay", "JobState",
    "DoorEventKind",
    "Compartment", "CompartmentState", "DoorEvent", "DoorReason", "DoorState", "ItemKind", "ItemState",
    "LockBoardState", "LockerItem", "Size", "DataExport", "CommandState", "DoorCommand", "RATING_LABELS", "FollowUp",
    "FollowUpState", "Rating", "MessageState", "Notification", "PrinterFaultKind", "PrintJob", "PrintState",
    "Area", "AreaLevel", "Building", "Channel", "Grid", "GridLevel", "Role", "StaffGrid", "CommunityService", "Service", "ServiceCategory",
    "Staff", "StaffSession", "Status", "Terminal", "TerminalKind", "Throttle", "Ticket", "TicketCounter", "TicketView",
    "TicketEvent", "TicketEventKind", "TicketCount", "Household", "LawfulBasis", "Member", "MemberTag", "Residence",
    "Comment", "Consultation", "ConsultationBuilding", "ConsultationOption", "ConsultationScope", "ConsultationState",
    "OptionKind", "ResidentCode", "Vote", "VoteChannel", "ConsultationTask", "TaskOwner", "TaskState",
    "ConsultationRating", "Shift", "Volunteer",
    "Room", "SitePlan", "StaffBuilding", "Tag", "TicketLink", "Visit",
]
