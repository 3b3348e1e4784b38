// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {KycRegistry} from "../../../contracts/compliance/KycRegistry.sol";
import {ReceivableRegistry} from "../../../contracts/finance/ReceivableRegistry.sol";
import {
    Authorization,
    FinanceOffer,
    InvoiceTerms,
    Receivable,
    ReceivableState,
    RepaymentSource
} from "../../../contracts/interfaces/IReceivableRegistry.sol";
import {SettlementToken} from "../../../contracts/token/SettlementToken.sol";
import {Signing} from "../utils/EscrowDeployment.sol";

/// @notice Who the handler acts as.
struct ReceivableActors {
    address debtor;
    address arbiter;
    address compliance;
    /// Suppliers and financiers: every account that can hold a receivable or a claim.
    address[] holders;
    /// Financier addresses and their keys (they sign offers).
    address[] financiers;
    uint256[] financierKeys;
}

/// @notice Drives random sequences of issue, split, transfer, finance, repay, overdue, default, freeze and claim
/// over several invoices. Money flows are measured around each repayment and summed into ghosts.
contract ReceivableHandler is CommonBase, StdCheats, StdUtils {
    uint256 private constant MAX_FACE = 1e9 * 1e6;

    ReceivableRegistry public immutable registry;
    SettlementToken public immutable token;
    KycRegistry public immutable kyc;
    ReceivableActors private actors;

    uint256[] public ids;
    mapping(uint256 id => uint256) public financeCount;

    /// What the debtor paid, and what holders and the registry (claims) received, over all repayments.
    uint256 public ghostDebtorPaid;
    uint256 public ghostHoldersReceived;
    /// Repayments whose outflow from the debtor differed from the return value, or from what holders received.
    uint256 public ghostBadRepayments;
    uint256 public ghostClaimed;
    mapping(bytes32 => uint256) public calls;

    constructor(ReceivableRegistry registry_, SettlementToken token_, KycRegistry kyc_, ReceivableActors memory a) {
        registry = registry_;
        token = token_;
        kyc = kyc_;
        actors = a;
    }

    modifier counted(bytes32 name) {
        calls[name]++;
        _;
    }

    // ================================================================ views for the invariants

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function holders() external view returns (address[] memory) {
        return actors.holders;
    }

    // ================================================================ actions

    function issue(uint256 face, uint256 dueIn, uint256 holderSeed) external counted("issue") {
        face = bound(face, 1, MAX_FACE);
        dueIn = bound(dueIn, 1 hours, 200 days);
        address supplier = _holder(holderSeed);
        InvoiceTerms memory terms = InvoiceTerms({
            issuer: supplier,
            dueAt: uint48(block.timestamp + dueIn),
            acceptBy: uint48(block.timestamp),
            debtor: actors.debtor,
            token: address(token),
            faceValue: face,
            documentHash: keccak256(abi.encode(ids.length)),
            invoiceRef: keccak256(abi.encode("ref", ids.length, block.timestamp))
        });
        vm.prank(supplier);
        try registry.issue(terms, "") returns (uint256 id) {
            vm.prank(actors.debtor);
            registry.accept(id, _self());
            ids.push(id);
        } catch {}
    }

    function split(uint256 idSeed, uint256 count, uint256 seed) external counted("split") {
        if (ids.length == 0) return;
        uint256 id = ids[idSeed % ids.length];
        Receivable memory r = registry.receivableOf(id);
        if (r.state != ReceivableState.Accepted || r.faceValue < 2) return;
        count = bound(count, 2, r.faceValue < 10 ? r.faceValue : 10);
        uint256[] memory faces = new uint256[](count);
        address[] memory to = new address[](count);
        uint256 left = r.faceValue;
        for (uint256 i; i < count; ++i) {
            faces[i] = i == count - 1 ? left : 1 + uint256(keccak256(abi.encode(seed, i))) % (left - (count - 1 - i));
            left -= faces[i];
            to[i] = _holder(seed >> i);
        }
        vm.prank(r.holder);
        try registry.split(id, faces, to, _self()) returns (uint256[] memory parts) {
            for (uint256 i; i < parts.length; ++i) {
                ids.push(parts[i]);
            }
        } catch {}
    }

    function transfer(uint256 idSeed, uint256 toSeed) external counted("transfer") {
        if (ids.length == 0) return;
        uint256 id = ids[idSeed % ids.length];
        address holder = registry.receivableOf(id).holder;
        if (holder == address(0)) return;
        vm.prank(holder);
        try registry.transferFrom(holder, _holder(toSeed), id) {} catch {}
    }

    function finance(uint256 idSeed, uint256 financierSeed, uint16 rate) external counted("finance") {
        if (ids.length == 0) return;
        uint256 id = ids[idSeed % ids.length];
        address holder = registry.receivableOf(id).holder;
        if (holder == address(0)) return;
        uint256 f = financierSeed % actors.financiers.length;
        FinanceOffer memory offer = FinanceOffer({
            receivableId: id,
            financier: actors.financiers[f],
            annualRateBps: uint16(bound(rate, 1, 5_000)),
            maxPrice: type(uint256).max,
            expiry: block.timestamp,
            nonce: keccak256(abi.encode(id, calls["finance"]))
        });
        bytes memory sig = _signOffer(actors.financierKeys[f], offer);
        vm.prank(holder);
        try registry.finance(offer, sig, 0, _self()) {
            financeCount[id]++;
        } catch {}
    }

    function repay(uint256 idSeed, uint256 amount) external counted("repay") {
        if (ids.length == 0) return;
        uint256 id = ids[idSeed % ids.length];
        (uint256 principal, uint256 fee) = registry.amountDue(id);
        amount = bound(amount, 1, principal + fee + 1 + MAX_FACE / 1000);
        uint256 debtorBefore = token.balanceOf(actors.debtor);
        uint256 receivedBefore = _holdersAndRegistry();
        vm.prank(actors.debtor);
        try registry.repay(id, amount, RepaymentSource.Wallet, _self()) returns (uint256 paid) {
            uint256 debtorPaid = debtorBefore - token.balanceOf(actors.debtor);
            uint256 received = _holdersAndRegistry() - receivedBefore;
            if (debtorPaid != paid || received != paid || paid > amount) ghostBadRepayments++;
            ghostDebtorPaid += debtorPaid;
            ghostHoldersReceived += received;
        } catch {}
    }

    function warp(uint256 seconds_) external counted("warp") {
        vm.warp(block.timestamp + bound(seconds_, 1, 60 days));
    }

    function markOverdue(uint256 idSeed) external counted("markOverdue") {
        if (ids.length == 0) return;
        try registry.markOverdue(ids[idSeed % ids.length]) {} catch {}
    }

    function declareDefault(uint256 idSeed) external counted("declareDefault") {
        if (ids.length == 0) return;
        vm.prank(actors.arbiter);
        try registry.declareDefault(ids[idSeed % ids.length], bytes32("handler")) {} catch {}
    }

    function toggleFreeze(uint256 holderSeed) external counted("toggleFreeze") {
        address who = _holder(holderSeed);
        vm.prank(actors.compliance);
        if (kyc.isFrozen(who)) kyc.unfreeze(who, bytes32("handler"));
        else kyc.freeze(who, bytes32("handler"));
    }

    function claim(uint256 holderSeed) external counted("claim") {
        address who = _holder(holderSeed);
        uint256 amount = registry.claimable(address(token), who);
        vm.prank(who);
        try registry.claim(address(token), who) {
            ghostClaimed += amount;
        } catch {}
    }

    // ================================================================ internals

    function _holder(uint256 seed) private view returns (address) {
        return actors.holders[seed % actors.holders.length];
    }

    function _holdersAndRegistry() private view returns (uint256 sum) {
        for (uint256 i; i < actors.holders.length; ++i) {
            sum += token.balanceOf(actors.holders[i]);
        }
        sum += token.balanceOf(address(registry));
    }

    function _self() private pure returns (Authorization memory) {
        return Authorization({nonce: bytes32(0), deadline: 0, signature: ""});
    }

    function _signOffer(uint256 key, FinanceOffer memory offer) private view returns (bytes memory) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ReceivableRegistry"),
                keccak256("1"),
                block.chainid,
                address(registry)
            )
        );
        return Signing.sign(key, Signing.typedDigest(domain, keccak256(abi.encode(registry.FINANCE_OFFER_TYPEHASH(), offer))));
    }
}
